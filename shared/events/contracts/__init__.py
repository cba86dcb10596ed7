"""The integration event contracts: envelope, payload schemas, versions and upcasters."""

from shared.events.contracts.catalog import CONTRACTS
from shared.events.contracts.envelope import Envelope, decode_envelope, encode_envelope
from shared.events.contracts.registry import Contract, ContractRegistry

__all__ = [
    "CONTRACTS",
    "Contract",
    "ContractRegistry",
    "Envelope",
    "decode_envelope",
    "encode_envelope",
]
