"""The dashboard: a read-only FastAPI app (REST + a WebSocket event stream) and one web page.

It reads chain state through the `fedledger.chain` wrappers and a finished demo's
`report.json`; it never sends a transaction and never imports torch.
"""

from fedledger.api.app import create_app

__all__ = ["create_app"]
