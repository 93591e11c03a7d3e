"""cspr-bot: automation for Safeguarding Children Partnership rapid reviews and case reviews.

Importing the package is cheap on purpose: nothing here builds a client or imports the Graph SDK.
"""

__version__ = "0.2.0"
