"""Stack component flavors of our own. ``portable_mlops.cli.stack_setup.ensure_stack`` registers each listed here.

By hand: ``zenml data-validator flavor register stacks.flavors.whylogs_drift.WhylogsDriftDataValidatorFlavor``.
"""

#: Import paths of the flavor classes, registered before a stack file is imported.
FLAVOR_SOURCES = [
    "stacks.flavors.whylogs_drift.WhylogsDriftDataValidatorFlavor",
    "stacks.flavors.seldon.PortableSeldonDeployerFlavor",
    "stacks.flavors.mlserver.MLServerContainerDeployerFlavor",
]
