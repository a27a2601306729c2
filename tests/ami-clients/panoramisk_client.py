"""Drives Asterism's AMI with panoramisk (PyPI), unmodified.

Usage: python panoramisk_client.py PORT USERNAME SECRET

Logs in, pings, runs a CLI command, originates two async calls (one that
succeeds, one towards a missing extension), collects every event the
library dispatches, logs off, and prints a JSON summary on stdout for
tests/ami_clients.rs to check. Every wait is bounded.
"""

import asyncio
import json
import sys

from panoramisk import Manager

STEP = 10  # seconds any one step may take


def plain(msg):
    """A panoramisk Message as a plain dict (repeated headers as lists)."""
    return {k: v for k, v in msg.items()}


async def main(port, username, secret):
    events = []
    hangups = {}

    def on_event(_manager, event):
        events.append({"Event": event.event, "Channel": event.channel})
        if event.event == "Hangup":
            fut = hangups.get(event.channel)
            if fut is not None and not fut.done():
                fut.set_result(True)

    manager = Manager(
        host="127.0.0.1",
        port=port,
        username=username,
        secret=secret,
        # No background pings or reconnects: the script does its own steps.
        ping_delay=3600,
        ping_interval=3600,
        reconnect_timeout=3600,
    )
    manager.register_event("*", on_event)
    summary = {}

    await asyncio.wait_for(manager.connect(), STEP)
    login = await asyncio.wait_for(manager.authenticated_future, STEP)
    summary["version"] = manager.protocol.version
    summary["login"] = plain(login)
    summary["authenticated"] = manager.authenticated

    ping = await asyncio.wait_for(manager.send_action({"Action": "Ping"}), STEP)
    summary["ping"] = plain(ping)

    cmd = await asyncio.wait_for(
        manager.send_command("dialplan show 601@ami-test"), STEP
    )
    summary["command"] = plain(cmd)

    loop = asyncio.get_running_loop()
    hangups["Local/600@ami-test-00000000;2"] = loop.create_future()
    # An async Originate answers twice: the Response now and the
    # OriginateResponse event later; panoramisk gathers both in one future.
    orig = await asyncio.wait_for(
        manager.send_action(
            {
                "Action": "Originate",
                "Channel": "Local/600@ami-test",
                "Context": "ami-test",
                "Exten": "601",
                "Priority": "1",
                "Async": "true",
                "CallerID": '"Orig" <5555>',
                "Variable": ["OV1=one", "OV2=two"],
            }
        ),
        STEP,
    )
    summary["originate"] = [plain(m) for m in orig]
    await asyncio.wait_for(hangups["Local/600@ami-test-00000000;2"], STEP)
    await asyncio.sleep(1)

    failed = await asyncio.wait_for(
        manager.send_action(
            {
                "Action": "Originate",
                "Channel": "Local/nosuch@ami-test",
                "Context": "ami-test",
                "Exten": "601",
                "Priority": "1",
                "Async": "true",
            }
        ),
        STEP,
    )
    summary["originate_failed"] = [plain(m) for m in failed]
    await asyncio.sleep(1)

    bye = await asyncio.wait_for(manager.send_action({"Action": "Logoff"}), STEP)
    summary["logoff"] = plain(bye)
    manager.close()
    summary["events"] = events
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
