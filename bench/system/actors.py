"""The people of the benchmark: customers who sign up once and order several times, and
staff who were made with the gateway's create-user command and signed in once."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench.system.client import Http, StepFailed
from tests.support.second_factor import with_code
from tests.support.system import System
from tests.support.system import create_staff as make_staff

PASSWORD = "bench password 123"
COOKIE = "cnnect_session"


@dataclass
class Person:
    """A signed-in account: its subject at the services, session cookie and CSRF token."""

    subject: str
    cookie: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        """What each of this person's requests carries (the CSRF token matters on changes)."""
        return {"Cookie": f"{COOKIE}={self.cookie}", "X-CSRF-Token": self.csrf}


async def sign_up(http: Http, email: str) -> Person:
    """A new customer account (POST /auth/signup), signed in at once."""
    answer = await http.request(
        "POST", "/auth/signup", json_body={"email": email, "password": PASSWORD}, expect=(201,)
    )
    return _person(answer.body, answer.cookies)


async def sign_in(http: Http, email: str) -> Person:
    """A session for an existing account (POST /auth/signin; staff made here also send their
    second factor's code)."""
    answer = await http.request(
        "POST",
        "/auth/signin",
        json_body=with_code(email, {"email": email, "password": PASSWORD}),
        expect=(200,),
    )
    return _person(answer.body, answer.cookies)


def _person(body: object, cookies: dict[str, str] | object) -> Person:
    if not isinstance(body, dict) or not isinstance(cookies, dict) or COOKIE not in cookies:
        raise StepFailed(f"sign-up/in answered without a session: {body!r}")
    return Person(body["account_id"], cookies[COOKIE], body["csrf_token"])


def create_staff(system: System, emails: list[str]) -> None:
    """Staff accounts, made as operators make them (`python -m services.gateway create-user`),
    all at once: each command is a process start and an argon2 hash."""
    with ThreadPoolExecutor(len(emails) or 1) as pool:
        list(pool.map(lambda email: make_staff(system, email, PASSWORD), emails))


class Customers:
    """Customers, most of whom order again: order number n comes from a new customer (a
    sign-up) when n is a multiple of `new_every`, or when nobody is free; otherwise from a
    returning one. A customer has one order going at a time, so the deposit a lifecycle
    credits is the one it spends. A sign-up costs the gateway an argon2 hash (64 MiB, 0.2 s
    of CPU or more), so at most SIGN_UPS_AT_ONCE go on at once: when the system slows down,
    more orders are in flight, fewer customers are free, and unbounded sign-ups would pile
    up on top of it (a storm the benchmark would cause, not its customers)."""

    SIGN_UPS_AT_ONCE = 2

    def __init__(self, http: Http, run_id: str, new_every: int) -> None:
        self.http = http
        self.run_id = run_id
        self.new_every = max(new_every, 1)
        self.idle: list[Person] = []
        self.signed_up = 0
        self._signing_up = asyncio.Semaphore(self.SIGN_UPS_AT_ONCE)

    async def sign_up(self) -> Person:
        """A new customer."""
        self.signed_up += 1
        email = f"c{self.signed_up}-{self.run_id}-{uuid.uuid4().hex[:6]}@bench.example"
        async with self._signing_up:
            return await sign_up(self.http, email)

    async def warm_up(self, count: int) -> None:
        """Customers who signed up before the load (their sign-ups are not in its windows)."""
        self.idle += await asyncio.gather(*(self.sign_up() for _ in range(count)))

    async def take(self, n: int) -> Person:
        """The customer of order number `n`."""
        if n % self.new_every == 0 or not self.idle:
            return await self.sign_up()
        return self.idle.pop(0)

    def give_back(self, person: Person) -> None:
        """The customer's order is over (done or failed): they may order again."""
        self.idle.append(person)


class Staff:
    """Signed-in staff members, taking turns."""

    def __init__(self, people: list[Person]) -> None:
        self._turns = itertools.cycle(people)

    def next(self) -> Person:
        """The staff member who acts next."""
        return next(self._turns)
