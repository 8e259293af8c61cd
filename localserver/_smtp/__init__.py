"""The SMTP server: a façade over an engine, one session per connection, an outbox.

How a mail flows: the :class:`~localserver._engine.Engine` accepts a connection and
runs a ``session.SMTPSession`` on its thread. The session knows its server only
through a ``site.SessionSite`` (the settings, the authenticator, the TLS acceptor,
the fault book, and where mail and errors go). It reads lines (``io``), paths and
parameters (``path``), logins (``auth``) and the message after ``DATA`` (``data``),
and delivers each accepted message as a ``mail.ReceivedMail`` to the outbox.
``headers`` reads a mail's header block on first use without parsing its body;
``checks`` holds the assertions about the outbox; ``faults`` the injected failures;
``server`` the public :class:`SMTPServer` that builds all of them.
"""
