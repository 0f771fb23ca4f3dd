"""The modules behind ``torchlet.utils.benchmark`` (torch's layout: ``common``, ``timer``)."""
