"""`python -m services.messaging api|worker|relay|migrate|rebuild|lag`."""

from services.messaging.bootstrap import DEFINITION
from shared.runtime import run_module

run_module(DEFINITION)
