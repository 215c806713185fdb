"""The built-in GxP workflows, registered with their versions."""

from __future__ import annotations

from orchestrator.engine.definitions import WorkflowRegistry


def builtin_registry() -> WorkflowRegistry:
    from orchestrator.workflows import batch_release, excursion, sample_to_result, tech_transfer

    return WorkflowRegistry([sample_to_result.DEFINITION, excursion.DEFINITION_V1, excursion.DEFINITION,
                             batch_release.DEFINITION_V1, batch_release.DEFINITION, tech_transfer.DEFINITION])
