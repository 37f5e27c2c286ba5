"""Sending mail: compose a message from templates, hand it to SES or SMTP.

    text, html = mail.render("verification", **context)
    message = mail.compose(sender=..., to=..., subject=..., text=text, html=html)
    mail.sender().send(message)       # SendFailed when it could not be handed over
"""
from chalicelib.mail.compose import compose, render, reset
from chalicelib.mail.transport import Sender, SendFailed, SesSender, SmtpSender, UnknownTransport, sender

__all__ = ["compose", "render", "reset", "Sender", "SendFailed", "SesSender", "SmtpSender", "UnknownTransport",
           "sender"]
