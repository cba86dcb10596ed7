"""`python -m services.billing api|worker|relay|migrate|rebuild|lag|send-bank-notice`."""

import sys

from services.billing.bootstrap import DEFINITION
from shared.runtime import run_module

if sys.argv[1:2] == ["send-bank-notice"]:
    # A development tool beside the service's own commands: be the bank (README "Paying").
    from services.billing.entrypoints.send_bank_notice import main

    sys.exit(main(sys.argv[2:]))
run_module(DEFINITION)
