"""Tests for peerreport.audit."""
