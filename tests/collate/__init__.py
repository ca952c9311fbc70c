"""Tests for peerreport.collate."""
