"""Knowledge files shipped with medcode: the source manifest, wording bridges, career guides.

Installed as the package data of ``assistant.knowledge``; see ``assistant.sources.packaged``.
"""
