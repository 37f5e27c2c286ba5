"""The links we mail, one mechanism for all of them: confirmation, the campaign-updates opt-in, removal, admin sign-in.

- ``signed``: the signed, expiring token a link carries (``SignedLink``);
- ``steps``: what a link's page can say, and each answer's HTTP status;
- ``pages``: the page with the button and the answers to it, drawn from each
  kind's table of texts, with the headers that keep them private;
- ``claims``: sending a link's mail once under the stream's at-least-once delivery.

Each kind keeps its own salt, lifetime, payload and words in its package;
this package knows none of them.
"""
