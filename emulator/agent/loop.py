"""The agent loop: model turns, hosted tool rounds, limits; a stop for the client's function calls."""

from __future__ import annotations

from typing import Any

from emulator.agent.events import (
    HostedCallDone,
    HostedCallStarted,
    LoopFinished,
    ToolCall,
    ToolRoundEnded,
    TurnEnded,
)
from emulator.agent.face import Face, PromptTooLong
from emulator.agent.request import AgentRequest
from emulator.agent.turn import TurnAssembler
from emulator.ids import IdFactory
from emulator.llm import ChatModel, ChatRequest, Finish, ModelError
from emulator.tools import ToolRegistry, ToolScope


class AgentLoop:
    def __init__(self, models: ChatModel, tools: ToolRegistry, ids: IdFactory) -> None:
        self._models = models
        self._tools = tools
        self._ids = ids

    async def run(self, request: AgentRequest, face: Face) -> None:
        """Run until the model answers, a limit ends the loop, or function calls wait for the client.

        Raises ModelError when a model call fails; cancelling the task stops the loop where it is."""
        scope = request.scope
        enabled = self._tools.enabled(scope)
        for tool in enabled:
            await tool.prepare(scope)
        calls_made, used = face.progress()
        hosted_calls = 0
        while True:
            if calls_made >= request.max_model_calls:
                raise ModelError("server_error", f"The run called the model {calls_made} times without finishing "
                                 "(the limit is max_model_calls_per_run).")
            calls_made += 1
            prompt_budget = None if request.max_prompt_tokens is None else request.max_prompt_tokens - used.prompt_tokens
            completion_budget = (None if request.max_completion_tokens is None
                                 else request.max_completion_tokens - used.completion_tokens)
            if completion_budget is not None and completion_budget <= 0:
                face.emit(LoopFinished("incomplete", "max_completion_tokens"))
                return
            context = [text for tool in enabled if (text := tool.system_context(scope))]
            try:
                messages = face.prompt(context, prompt_budget)
            except PromptTooLong:
                face.emit(LoopFinished("incomplete", "max_prompt_tokens"))
                return
            offer_hosted = request.max_hosted_calls is None or hosted_calls < request.max_hosted_calls
            turn = await self._turn(request, face, messages, completion_budget, first=calls_made == 1,
                                    offer_hosted=offer_hosted)
            used = used + turn.usage
            if turn.calls:
                left = None if request.max_hosted_calls is None else request.max_hosted_calls - hosted_calls
                ran, waiting = await self._tool_round(scope, turn.calls, face, left)
                hosted_calls += ran
                if waiting:
                    return
                continue
            face.emit(LoopFinished("incomplete", "max_completion_tokens") if turn.finish_reason == "length"
                      else LoopFinished("completed"))
            return

    async def _turn(self, request: AgentRequest, face: Face, messages: list[dict[str, Any]], max_tokens: int | None,
                    first: bool, offer_hosted: bool) -> TurnEnded:
        # A forced tool choice applies to the loop's first model call; after that the model may answer,
        # or it could only ever call the tool again.
        choice = self._chat_tool_choice(request.tool_choice) if first else (
            "none" if request.tool_choice == "none" else "auto")
        chat = ChatRequest(
            model=request.model, messages=messages, tools=self._chat_tools(request, offer_hosted), tool_choice=choice,
            parallel_tool_calls=request.parallel_tool_calls, response_format=request.response_format,
            temperature=request.temperature, top_p=request.top_p, max_tokens=max_tokens,
        )
        assembler = TurnAssembler(self._ids, self._tools, request.scope, face.emit)
        finish = Finish("stop", 0, 0)
        async for item in self._models.stream(chat):
            if isinstance(item, Finish):
                finish = item
            else:
                assembler.feed(item)
        return assembler.finish(finish)

    async def _tool_round(self, scope: ToolScope, calls: tuple[ToolCall, ...], face: Face,
                          hosted_left: int | None) -> tuple[int, bool]:
        """Run the hosted calls in order, at most `hosted_left` of them (None: all; the rest are ignored, as
        OpenAI ignores calls past `max_tool_calls`). Returns how many ran, and whether function calls wait
        for the client."""
        pending = []
        ran = 0
        for call in calls:
            tool = self._tools.for_function(call.name)
            if tool is None:
                pending.append(call)
                continue
            if hosted_left is not None and ran >= hosted_left:
                continue
            ran += 1
            shown = tool.preview(call.call_id, call.arguments)
            face.emit(HostedCallStarted(call, shown))
            result = await tool.execute(scope, call.call_id, call.arguments)
            face.emit(HostedCallDone(call, shown, result.model_dump(exclude_unset=True, by_alias=True),
                                     tool.call_details(call.call_id), tool.render(result)))
        face.emit(ToolRoundEnded(tuple(pending)))
        return ran, bool(pending)

    def _chat_tools(self, request: AgentRequest, offer_hosted: bool) -> list[dict[str, Any]]:
        result = []
        for tool in request.tools:
            if tool["type"] == "function":
                result.append(tool)
            elif offer_hosted and (hosted := self._tools.for_type(tool["type"])) is not None:
                result.append(hosted.definition(request.scope))
        return result

    def _chat_tool_choice(self, choice: Any) -> Any:
        if choice is None or isinstance(choice, str) or choice.get("type") == "function":
            return choice
        hosted = self._tools.for_type(choice["type"])
        return {"type": "function", "function": {"name": hosted.function_name}} if hosted else "auto"
