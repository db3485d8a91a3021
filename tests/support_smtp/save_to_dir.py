"""An aiosmtpd handler for the Send Mail tests: each message received is written to the
directory given on the command line as <n>.eml (the data) and <n>.json (the envelope).

    PYTHONPATH=tests/support_smtp python3 -m aiosmtpd -n -l 127.0.0.1:2525 \
        -c save_to_dir.SaveToDir /tmp/mail
"""

import json
import os


class SaveToDir:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("SaveToDir takes the directory to write messages to")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, str(self.count))
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 Message accepted"
