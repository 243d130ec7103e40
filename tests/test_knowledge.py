"""The knowledge files are the single source of truth for numbers and hours."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_BEHAVIOURS = {
    "following",
    "turning_up",
    "loitering",
    "watching",
    "unwanted_contact",
    "gifts",
    "monitoring_online",
    "hacking_spyware",
    "fake_accounts",
    "identity_theft",
    "property_damage",
    "threats",
    "contacting_others",
}
CONTRACT_SERVICES = {"999", "silent_solution", "101", "live_chat", "crimestoppers", "stalking_helpline"}
# Runs of digits (allowing the spaces inside UK phone numbers) and clock times.
NUMBER = re.compile(r"\d[\d ]*\d|\d")
TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\b")


def knowledge_numbers() -> set:
    text = (ROOT / "bot" / "knowledge" / "services.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    numbers = set()
    for entry in data["services"] + data["accessibility"]:
        for value in entry.values():
            if isinstance(value, str) and "checked" not in value:
                numbers.update(n.replace(" ", "") for n in NUMBER.findall(value))
    return numbers


def response_texts() -> list:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    texts = []
    for name, variants in domain["responses"].items():
        for variant in variants:
            texts.append((name, variant.get("text", "")))
            texts.extend((name, b["title"]) for b in variant.get("buttons", []))
    return texts


def test_contract_ids_are_in_the_knowledge():
    knowledge = load_knowledge()
    assert set(knowledge.behaviours) == CONTRACT_BEHAVIOURS
    assert set(knowledge.services) >= CONTRACT_SERVICES
    assert knowledge.four_slots == ("four_fixated", "four_obsessive", "four_unwanted", "four_repeated")


@pytest.mark.parametrize("service", load_knowledge().services.values(), ids=lambda s: s.id)
def test_every_service_says_where_its_facts_come_from(service):
    assert service.source.strip()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", service.checked)
    assert service.when and service.how
    assert service.offer_when, "a service nobody is ever offered"


def test_helpline_facts_match_the_domain_notes():
    helpline = load_knowledge().service("stalking_helpline")
    assert helpline.phone == "0808 802 0300"
    assert "09:30" in helpline.hours and "16:00" in helpline.hours and "13:00" in helpline.hours
    assert load_knowledge().service("crimestoppers").phone == "0800 555 111"
    assert load_knowledge().service("silent_solution").silent_code == "55"


@pytest.mark.parametrize("name,text", response_texts())
def test_no_response_carries_a_number_that_is_not_in_the_knowledge(name, text):
    text = re.sub(r"\{[a-z_]+\}", "", text)
    stray = {n.replace(" ", "") for n in NUMBER.findall(text)} - knowledge_numbers()
    assert not stray, f"{name} carries numbers {stray} that bot/knowledge/services.yml does not"
    assert not TIME.findall(text), f"{name} carries an opening time: read it from services.yml"


def test_no_action_or_bot_module_types_a_phone_number():
    # Phone-number-like digit runs (3+ digits) in Python code would bypass the knowledge file.
    code = [*ROOT.joinpath("actions").rglob("*.py"), *ROOT.joinpath("bot").rglob("*.py")]
    # Alembic revision ids ("0001") are not phone numbers.
    for path in (p for p in code if "migrations" not in p.parts):
        for literal in re.findall(r"[\"']([^\"'\n]*)[\"']", path.read_text(encoding="utf-8")):
            literal = re.sub(r"\w+://\S*|\b\d{1,3}(\.\d{1,3}){3}\b", "", literal)  # URLs and addresses
            digits = [n.replace(" ", "") for n in NUMBER.findall(literal) if len(n.replace(" ", "")) >= 3]
            assert set(digits) <= knowledge_numbers(), f"{path}: {literal!r}"


def test_emergency_response_agrees_with_the_knowledge_file():
    """utter_danger is a plain response (it must work with the action server down),
    so it is the one place 999 and 55 are written out: it must match services.yml."""
    knowledge = load_knowledge()
    danger = " ".join(text for name, text in response_texts() if name == "utter_danger")
    assert knowledge.service("999").phone in danger
    assert knowledge.service("silent_solution").silent_code in danger
    assert {n.replace(" ", "") for n in NUMBER.findall(danger)} == {"999", "55"}
