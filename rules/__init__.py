"""Pure SOP rules: the canonical lead, the rules-file schema, evaluation."""
