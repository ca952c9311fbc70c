"""Ordinary activity vocabulary: words and values that must never be flagged.

Shared by the detector tests and the hypothesis properties.
"""

from __future__ import annotations

ENGLISH = (
    "peer", "support", "group", "session", "evening", "morning", "walk", "art", "music",
    "garden", "cooking", "coffee", "check-in", "wellbeing", "planning", "training", "drop-in",
    "hui", "volunteers", "facilitated", "online", "community", "library", "hall", "and",
    "with", "for", "the", "at", "on", "is", "has", "new", "people", "Tuesday", "Friday",
    "weekly", "fortnightly", "cancelled", "moved", "small", "room", "shared", "lunch",
    "recovery", "stories", "advocacy", "workshop", "Wellington", "Sleep", "code of conduct",
)  # fmt: skip
TE_REO = (
    "hui", "whānau", "kōrero", "wānanga", "rōpū", "mahi", "tamariki", "rangatahi",
    "kaumātua", "aroha", "manaakitanga", "marae", "kai",
)  # fmt: skip
PASIFIKA = ("talanoa", "fono", "aiga", "fanau", "kava", "lotu")
PLACES = (
    "Whanganui", "Ōtautahi", "Tāmaki Makaurau", "Kirikiriroa", "Rotorua", "Ōtepoti",
    "Wollongong", "Parramatta",
)  # fmt: skip
TOPICS = (
    "Bipolar peer support group", "Hearing Voices Network", "Schizophrenia Fellowship meeting",
    "Depression support evening", "Living well with anxiety", "Eating disorders peer group",
    "talk about PTSD and trauma", "Mental health awareness week", "ADHD peer support",
    "Autistic-led peer group", "Sleep and wellbeing",
)  # fmt: skip
#: Everyday values seen in activity logs.
VALUES = (
    "Tuesday evening group", "Wellington peer groups", "GRP-2026-0142", "Moved to the small room",
    "kereru7; tui42", "Session 12", "#4", "week 3", "Room B2", "F12", "L3-07", "2026", "18:30",
    "18:30-20:00", "09:30–11:30", "12/08/2026", "03-04-2026", "2026-08-14", "1200 people",
    "14 people", "9", "Darwin 0800", "Budget 300.50", "296.23 km", "Room F12, code of conduct",
    "Dress code F12", "meeting on 03/04/2026", "12/08/2026 - 14/08/2026", "2019-2020",
    "09.30-11.30", "Q1 2026", "FY2025/26", "Level 3, Room 301.2", "PO Box 12", "3.5 hours",
    "Rebirth art workshop 12/08/2026", "Group's birthday celebration on 12/08/2026",
)  # fmt: skip
