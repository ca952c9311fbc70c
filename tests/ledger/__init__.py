"""Tests for peerreport.ledger."""
