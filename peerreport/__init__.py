"""peerreport: accountability reporting for peer-run mental health and addiction initiatives."""

__version__ = "0.2.0"
