"""``python app.py``: serve the chat page (the same as ``medcode serve``)."""

from assistant.interfaces.web import main

if __name__ == "__main__":
    main()
