"""Delivery addresses a customer keeps on their account to pick on the order form (R26).
Pure data; the rules an address must meet are the orders API's, checked at the form
(entrypoints/pages/address_form.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from shared.domain_errors import ValidationError

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "country", "phone")
MAX_SAVED_ADDRESSES = 10  # enough for home, work and family; a list to pick from stays short


class TooManyAddressesError(ValidationError):
    """The account keeps as many addresses as it may."""

    code = "too_many_addresses"


@dataclass(frozen=True)
class SavedAddress:
    """One kept delivery address; `is_default` fills the order form when it is first shown."""

    address_id: str
    name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    country: str
    phone: str
    is_default: bool = False

    def fields(self) -> dict[str, str]:
        """The address as the order form's and the orders API's fields."""
        return {name: str(asdict(self)[name]) for name in ADDRESS_FIELDS}

    def as_form(self) -> dict[str, str]:
        """The address as the values of the form fields `address-<field>`."""
        return {f"address-{name}": value for name, value in self.fields().items()}

    @property
    def summary(self) -> str:
        """One line to recognise it by: "Ana Li, 1 rue Neuve, 69003 Lyon, FR"."""
        lines = [self.name, self.line1, self.line2, f"{self.postal_code} {self.city}", self.country]
        return ", ".join(part for part in lines if part)


def too_many_addresses() -> TooManyAddressesError:
    """The refusal of one address more than the account may keep."""
    return TooManyAddressesError(
        f"you can keep at most {MAX_SAVED_ADDRESSES} addresses; delete one you no longer need"
    )
