"""The OpenAI Agents SDK (test extra; its real tests come with the Responses API) imports on the pinned openai and
points its OpenAI client at a local base URL. Nothing is sent."""

from __future__ import annotations

from agents import Agent, OpenAIProvider, OpenAIResponsesModel, RunConfig


def test_agents_sdk_model_points_at_a_local_base_url():
    base_url = "http://127.0.0.1:9/v1"
    provider = OpenAIProvider(base_url=base_url, api_key="k", use_responses=True)
    model = provider.get_model("gpt-4o")
    assert isinstance(model, OpenAIResponsesModel)
    assert str(model._client.base_url) == base_url + "/"
    agent = Agent(name="a", instructions="Answer briefly.", model=model)
    assert RunConfig(model_provider=provider).model_provider is provider and agent.model is model
