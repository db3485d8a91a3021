"""An aiosmtpd server for the Send Mail tests that requires STARTTLS and then AUTH: it
offers one mechanism (PLAIN or LOGIN), accepts one user and password, records each AUTH
attempt in <directory>/auth.log ("<mechanism> <user> ok|refused tls|plain") and writes each
message as save_to_dir.SaveToDir does. It prints "ready" once it listens and runs until
killed.

    PYTHONPATH=tests/support_smtp python3 tests/support_smtp/auth_server.py \
        127.0.0.1 2525 /tmp/mail cert.pem key.pem PLAIN etl s3cret
"""

import os
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from save_to_dir import SaveToDir


def main():
    host, port, directory, cert, key, mechanism, user, password = sys.argv[1:9]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    log = os.path.join(directory, "auth.log")

    def authenticator(server, session, envelope, used, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        login = auth_data.login.decode(errors="replace") if isinstance(auth_data, LoginPassword) else "?"
        tls = "tls" if session.ssl else "plain"
        with open(log, "a") as f:
            f.write(f"{used} {login} {'ok' if ok else 'refused'} {tls}\n")
        # handled=False: aiosmtpd answers 535 itself when the credentials are refused.
        return AuthResult(success=ok, handled=False)

    others = [m for m in ("PLAIN", "LOGIN") if m != mechanism]
    controller = Controller(
        SaveToDir(directory),
        hostname=host,
        port=int(port),
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
        require_starttls=True,
        tls_context=context,
        auth_exclude_mechanism=others,
    )
    controller.start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
