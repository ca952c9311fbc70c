"""Tests for peerreport.bundle."""
