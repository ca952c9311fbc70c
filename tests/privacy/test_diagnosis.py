"""Diagnoses about a person are caught; a group's topic is not a person's diagnosis."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peerreport.privacy import scan_text
from peerreport.privacy.detectors import diagnosis
from tests.privacy.ordinary import TOPICS

CAUGHT = (
    ("She has bipolar disorder", "has bipolar disorder"),
    ("He was diagnosed with schizophrenia", "diagnosed with schizophrenia"),
    ("Kim was diagnosed with cancer last year", "diagnosed with cancer last year"),
    ("recently diagnosed as having generalised anxiety disorder", None),
    ("diagnosis of PTSD", "diagnosis of PTSD"),
    ("Dx: BPD", "Dx: BPD"),
    ("dx - major depressive disorder", "dx - major depressive disorder"),
    ("suffers from anorexia", "suffers from anorexia"),
    ("is being treated for psychosis", None),
    ("had a psychotic episode", "had a psychotic episode"),
    ("Kim is bipolar", "Kim is bipolar"),
    ("she's schizophrenic", "she's schizophrenic"),
    ("He is a paranoid schizophrenic", "He is a paranoid schizophrenic"),
    ("client is psychotic today", "client is psychotic"),
    ("Member has OCD", "has OCD"),
    ("he has ADHD", "has ADHD"),
    ("he has ADD", "has ADD"),
    ("she has DID", "has DID"),
    ("my brother has dementia", "has dementia"),
    ("has a history of psychosis", "has a history of psychosis"),
    ("suffering from alcohol use disorder", "suffering from alcohol use disorder"),
    ("he has autism", "has autism"),
    ("Tama is autistic", "Tama is autistic"),
    ("has an eating disorder", "has an eating disorder"),
    ("has anxiety", "has anxiety"),
    ("has post-traumatic stress disorder", "has post-traumatic stress disorder"),
    ("has C-PTSD", "has C-PTSD"),
    ("Sione has schizoaffective disorder", "has schizoaffective disorder"),
    ("has a serious mental illness", "has a serious mental illness"),
    ("She is suicidal", "She is suicidal"),
    ("I'm bipolar", "I'm bipolar"),
)


@pytest.mark.parametrize(("text", "phrase"), CAUGHT)
def test_diagnosis_about_a_person_is_caught(text: str, phrase: str | None) -> None:
    # "Kim" and "Sione" are names too; the name detector has its own tests.
    found = [d for d in scan_text(text) if d.kind != "name"]
    assert [d.kind for d in found] == ["diagnosis"]
    if phrase is not None:
        assert text[found[0].start : found[0].end] == phrase


@pytest.mark.parametrize(
    "text",
    [
        *TOPICS,
        "Eating disorders peer group",
        "People who have PTSD are welcome",
        "For those newly diagnosed with bipolar",
        "Whānau of people diagnosed with schizophrenia",
        "If you have anxiety, come along",
        "Autistic-led peer group",
        "Bipolar awareness week",
        "Tonight is bipolar peer night",
        "Topic is bipolar",
        "The topic is depression",
        "We have Bipolar peer support group on Tuesday",
        "Kim had anxiety about the move",
        "We did art",
        "Please add notes",
        "Did the group run?",
        "has a mental health plan",
        "Living with depression",
        "Anxiety and depression: a talk",
        "The group has depression support resources",
        "Alcohol-free event",
        "We are autistic-led",
        "You are bipolar-friendly",
    ],
)
def test_topics_and_everyday_words_are_not_diagnoses(text: str) -> None:
    assert diagnosis.find(text) == []


def test_overlapping_phrases_are_one_detection() -> None:
    text = "Kim was diagnosed with bipolar and has bipolar disorder"
    found = diagnosis.find(text)
    assert [text[d.start : d.end] for d in found] == [
        "diagnosed with bipolar",
        "has bipolar disorder",
    ]


def test_diagnosis_label_and_mask() -> None:
    (found,) = diagnosis.find("She has bipolar disorder")
    assert found.label == "a diagnosis about a person"
    assert found.masked == "h** ******* ********"


@pytest.mark.parametrize("stem", diagnosis.STEMS)
def test_every_stem_is_lower_case(stem: str) -> None:
    assert stem == stem.lower()


def terms(fragments: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Strings that match one of the detector's own term patterns."""
    return st.sampled_from(fragments).flatmap(
        lambda f: st.from_regex(re.compile(f.replace(" ", r"\s+"), re.IGNORECASE), fullmatch=True)
    )


@settings(max_examples=150, deadline=None)
@given(term=terms(diagnosis.CONDITIONS))
def test_every_condition_is_caught_through_the_pre_filter(term: str) -> None:
    assert [d.kind for d in scan_text(f"She has {term}")] == ["diagnosis"]


@settings(max_examples=100, deadline=None)
@given(term=terms(diagnosis.ADJECTIVES))
def test_every_adjective_is_caught_through_the_pre_filter(term: str) -> None:
    assert [d.kind for d in scan_text(f"Kim is {term}")] == ["diagnosis"]
