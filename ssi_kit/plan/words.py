"""Actions in words: "save 6 more leads over 4 weeks", "add a profile photo"."""
from __future__ import annotations

__all__ = ["action_words"]

#: Activity column -> (verb, one unit, several units).
_ACTIVITY = {
    "posts": ("publish", "post", "posts"),
    "shares": ("share", "post", "posts"),
    "comments_made": ("write", "comment", "comments"),
    "reactions_made": ("give", "reaction", "reactions"),
    "searches": ("run", "people search", "people searches"),
    "leads_saved": ("save", "lead", "leads"),
    "accounts_saved": ("save", "account", "accounts"),
    "profile_views_made": ("view", "prospect's profile", "prospects' profiles"),
    "invitations_sent": ("send", "invitation", "invitations"),
    "inmails_sent": ("send", "InMail", "InMails"),
    "messages_sent": ("send", "message", "messages"),
    "group_posts": ("write", "group post", "group posts"),
}
_FLAGS = {"has_photo": "add a profile photo", "has_cover": "add a cover image",
          "has_headline": "add a headline", "has_summary": "add a summary (About)"}
#: Profile count -> (verb, one more item).
_COUNTS = {"positions": ("list", "position"), "education": ("add", "school"), "skills": ("add", "skill"),
           "recommendations": ("get", "recommendation"), "featured_items": ("feature", "item")}


def action_words(column: str, amount: int | None, weeks: int | None) -> str:
    """The action in words; ``amount=None`` for the action in general ("save more leads").

    Parameters
    ----------
    column : str
        The activity column or profile field changed.
    amount : int or None
        Extra units (activity) or items (profile counts); ignored for flags.
    weeks : int or None
        The weeks an activity step is spread over (None: profile actions).
    """
    if column in _FLAGS:
        return _FLAGS[column]
    if column in _COUNTS:
        verb, noun = _COUNTS[column]
        if amount is None:
            return f"{verb} more {noun}s"
        return f"{verb} {amount} more {noun if amount == 1 else noun + 's'}"
    verb, one, many = _ACTIVITY.get(column, ("do", column, column))
    if amount is None:
        return f"{verb} more {many}"
    span = f"over {weeks} weeks" if weeks != 1 else "this week"
    return f"{verb} {amount} more {one if amount == 1 else many} {span}"
