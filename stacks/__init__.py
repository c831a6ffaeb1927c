"""Stack files (``*.yaml``) and the stack component flavors of our own (``flavors/``)."""
