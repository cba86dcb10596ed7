"""`python -m services.shipping api|worker|relay|migrate|rebuild|lag`."""

from services.shipping.bootstrap import DEFINITION
from shared.runtime import run_module

run_module(DEFINITION)
