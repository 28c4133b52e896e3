"""What each intent does: one skill per intent, registered by name on import."""

from wanwan.skills import gas, levels, records, transfer  # noqa: F401  (registration)
from wanwan.skills.base import REGISTRY, Skill, SkillContext, SkillResult

__all__ = ["REGISTRY", "Skill", "SkillContext", "SkillResult"]
