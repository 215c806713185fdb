"""The user table behind console logins and signatures: argon2 hashes, roles, ids never reused."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.engine.accounts import MIN_PASSWORD, AccountError, Accounts

pytestmark = pytest.mark.unit
PASSWORD = "correct horse battery"


@pytest.fixture
async def accounts(engine: AsyncEngine) -> Accounts:
    found = Accounts(engine)
    assert await found.add("alice", "Alice Analyst", "qa", PASSWORD)
    return found


async def test_a_user_is_stored_with_an_argon2_hash_not_the_password(accounts: Accounts) -> None:
    user = await accounts.get("alice")
    assert user is not None
    assert (user["user_id"], user["name"], user["role"]) == ("alice", "Alice Analyst", "qa")
    assert user["password_hash"].startswith("$argon2") and PASSWORD not in user["password_hash"]
    assert await accounts.get("nobody") is None


async def test_all_lists_users_by_id_without_their_hashes(accounts: Accounts) -> None:
    assert await accounts.add("aaron", "Aaron Admin", "admin", PASSWORD)
    listed = await accounts.all()
    assert [u["user_id"] for u in listed] == ["aaron", "alice"]
    assert all("password_hash" not in u for u in listed)


async def test_the_right_password_authenticates(accounts: Accounts) -> None:
    user = await accounts.authenticate("alice", PASSWORD)
    assert user["user_id"] == "alice" and user["role"] == "qa"


@pytest.mark.requirement("P11-007")
async def test_a_wrong_password_and_an_unknown_user_fail_alike(accounts: Accounts) -> None:
    """The message must not tell an attacker which user ids exist."""
    with pytest.raises(AccountError) as wrong:
        await accounts.authenticate("alice", PASSWORD + "!")
    with pytest.raises(AccountError) as unknown:
        await accounts.authenticate("mallory", PASSWORD)
    assert str(wrong.value) == str(unknown.value) == "user id or password is wrong"


@pytest.mark.parametrize(("user_id", "name", "role", "password", "says"), [
    ("bob", "Bob", "qa", "x" * (MIN_PASSWORD - 1), "at least"),
    ("bob", "Bob", "superuser", PASSWORD, "not one of"),
    (" ", "Bob", "qa", PASSWORD, "no spaces"),
    ("bob smith", "Bob", "qa", PASSWORD, "no spaces"),
    ("x" * 101, "Bob", "qa", PASSWORD, "1 to 100"),
    ("bob", "  ", "qa", PASSWORD, "printed name"),
])
async def test_invalid_users_are_refused(engine: AsyncEngine, user_id: str, name: str, role: str, password: str,
                                         says: str) -> None:
    with pytest.raises(AccountError, match=says):
        await Accounts(engine).add(user_id, name, role, password)
    assert await Accounts(engine).all() == []


@pytest.mark.requirement("P11-007")
async def test_an_existing_id_is_never_overwritten(accounts: Accounts) -> None:
    assert await accounts.add("alice", "Someone Else", "admin", "another password!") is False
    user = await accounts.authenticate("alice", PASSWORD)  # the first password still holds
    assert (user["name"], user["role"]) == ("Alice Analyst", "qa")
