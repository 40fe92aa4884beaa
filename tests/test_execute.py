"""RecoveringClient against a real kernel whose request or reply is made to go missing (ipykernel#1554)."""

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from nfteach.course.execute import KernelStalled, RecoveringClient

LOST = "print(answer + 1)"


def client_for(*sources: str, **options) -> RecoveringClient:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    return RecoveringClient(notebook, timeout=120, kernel_name="python3", patience=1.0, probe_interval=0.2, **options)


def lose_requests(client: RecoveringClient, source: str, times: int) -> None:
    """The next ``times`` execute requests for ``source`` never reach the kernel, as an unread request would."""
    send = client.kc.execute
    left = [times]

    def execute(code, **kwargs):
        if code == source and left[0] > 0:
            left[0] -= 1
            return "a-request-the-kernel-never-reads"
        return send(code, **kwargs)

    client.kc.execute = execute


def lose_reply(client: RecoveringClient) -> None:
    """The first execute reply of the cell ``LOST`` is dropped on its way back (the kernel did run the cell)."""
    channel = client.kc.shell_channel
    receive, dropped, sent = channel.get_msg, [], {}
    execute = client.kc.execute

    def remember(code, **kwargs):
        msg_id = execute(code, **kwargs)
        sent[msg_id] = code
        return msg_id

    async def get_msg(*args, **kwargs):
        while True:
            msg = await receive(*args, **kwargs)
            if sent.get(msg["parent_header"].get("msg_id")) != LOST or dropped:
                return msg
            dropped.append(msg)

    client.kc.execute, channel.get_msg = remember, get_msg


def run(client: RecoveringClient, sabotage) -> list[str]:
    with client.setup_kernel():
        sabotage(client)
        for index, cell in enumerate(client.nb.cells):
            client.execute_cell(cell, index)
    return [output.get("text", "") for cell in client.nb.cells for output in cell.outputs]


def test_an_unread_request_is_woken_then_sent_again():
    client = client_for("answer = 41", LOST)
    assert run(client, lambda c: lose_requests(c, LOST, times=1)) == ["42\n"]
    assert [r["action"] for r in client.recoveries] == ["woken", "resent"]
    assert client.recoveries[0]["recovered"] == 1


def test_a_lost_reply_is_rebuilt_from_the_outputs_and_keeps_an_error_an_error():
    events = []
    client = client_for("answer = 41", LOST, on_recovery=lambda **event: events.append(event))
    assert run(client, lose_reply) == ["42\n"]
    assert [e["action"] for e in events] == ["reply-lost"]

    failing = client_for("answer = None", LOST)
    with pytest.raises(CellExecutionError, match="TypeError"):
        run(failing, lose_reply)
    assert [r["action"] for r in failing.recoveries] == ["reply-lost"]


def test_a_kernel_that_stops_reading_is_restarted_and_the_notebook_rerun():
    client = client_for("answer = 41", LOST)
    assert run(client, lambda c: lose_requests(c, LOST, times=2)) == ["42\n"]  # answer was defined again
    assert [r["action"] for r in client.recoveries] == ["woken", "resent", "restarted"]

    stubborn = client_for("answer = 41", LOST, max_restarts=0)
    with pytest.raises(KernelStalled, match="after it was sent again"):
        run(stubborn, lambda c: lose_requests(c, LOST, times=2))


def miss_wakeups(client: RecoveringClient) -> None:
    """A wait of more than a few seconds on the shell or IOPub socket is never woken, as under load a missed
    ZeroMQ wake-up leaves one (the message sits in the socket); shorter waits look at the socket afresh."""
    import asyncio

    for channel in (client.kc.shell_channel, client.kc.iopub_channel):
        receive = channel.get_msg

        async def get_msg(timeout=None, receive=receive):
            if timeout is None or timeout > 5:
                await asyncio.Event().wait()  # forever
            return await receive(timeout=timeout)

        channel.get_msg = get_msg


def test_a_missed_socket_wakeup_costs_one_short_wait_not_the_cell_timeout():
    client = client_for("answer = 41", LOST, "print('and the outputs of every cell')")
    assert run(client, miss_wakeups) == ["42\n", "and the outputs of every cell\n"]
    assert client.recoveries == []  # nothing was lost: the next short wait found the message
