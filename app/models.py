"""Every table, imported in one place so Alembic and the app see the same metadata."""

from sqlmodel import SQLModel

from app.accounts.models import ApiToken, Membership, User, UserSession
from app.agreement.models import AgreementSnapshot
from app.coedit.models import CoeditDoc
from app.escalations.models import Escalation
from app.events.models import Event
from app.items.models import Item, ItemImport, ItemImportAnnotation, ItemImportRow
from app.media.models import ItemImportMedia, ItemMedia, MediaFile
from app.projects.models import Batch, BatchCounterShard, GuidelineVersion, Project
from app.quality.models import Feedback, Standing
from app.review.models import ReviewTask
from app.threads.models import Comment
from app.work.models import Annotation, Assignment, ThroughputBucket

metadata = SQLModel.metadata

__all__ = ["AgreementSnapshot", "ApiToken", "Annotation", "Assignment", "Batch", "BatchCounterShard", "CoeditDoc", "Comment", "Escalation", "Event",
           "Feedback", "GuidelineVersion", "Item", "ItemImport", "ItemImportAnnotation", "ItemImportMedia", "ItemImportRow", "ItemMedia", "MediaFile", "Membership", "Project", "ReviewTask", "Standing", "ThroughputBucket",
           "User", "UserSession", "metadata"]
