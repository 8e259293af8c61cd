"""The HTTP/1.1 connection layer: framing by a maintained parser, replies, keep-alive.

``connection`` serves one connection (:class:`HTTP1Handler`); ``parser`` reads
requests with httptools (``parser_h11`` with h11 where httptools is missing);
``head`` holds what both parsers produce and the refusals RFC 9112 asks for;
``request`` is what an application gets, ``writer`` what it answers with; ``wsgi``
serves WSGI applications and ``tls`` runs the handshake of HTTPS connections.
"""
