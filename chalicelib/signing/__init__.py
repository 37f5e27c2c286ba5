"""The sign path: a form or JSON post in, the submission rules, one conditional write, an answer in the asker's kind.

- ``submission``: the rules (pure): fields in, a valid signature or field errors out;
- ``intake``: the sign path itself, with typed outcomes (fraud controls, challenge, verification);
- ``signature_store``: the one conditional write;
- ``replies`` and ``routes``: the HTTP side.
"""
