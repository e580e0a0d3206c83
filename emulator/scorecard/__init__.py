"""The scorecard: how well a model does the seed flows of the Assistants API, run through the emulator.

`assistants-emulator scorecard` starts an emulator (or uses a running one), runs a fixed set of tasks
(`tasks.py`: Math Tutor, create_thread_and_run, function calls, parallel calls, code_interpreter
statistics, charts and files, file_search answers cited from a PDF and a DOCX, a follow-up on a thread)
through the emulator's own API with the official openai SDK, and prints a table: task, pass or fail, why,
seconds, tokens. It works with any model the model map reaches, so a user can see what their model gets
done before relying on it. The pass rate is a measurement, not a test.
"""
