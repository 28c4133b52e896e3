"""Typed commands the catalogue was not written from: how many are understood exactly (intent
and every slot), and that out-of-domain sentences are not taken as commands, never as commands
that act.

Two kinds of figure, kept apart (docs/benchmarks.md): ``en.yaml`` and ``en-tune2/3/4.yaml`` were
looked at while the catalogue and the matcher were improved, so theirs is a training score;
``en-report.yaml`` was written first and its sentences never looked at, so its figure is the
result.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

HELDOUT = Path(__file__).parent / "data" / "heldout"


def score(engine, name: str) -> tuple[float, list]:
    cases = yaml.safe_load((HELDOUT / name).read_text())["sentences"]
    read = {c["text"]: engine.parse(c["text"]) for c in cases}  # each sentence parsed once
    commands = [c for c in cases if c["intent"]]
    right = 0
    for case in commands:
        result = read[case["text"]]
        right += result.intent == case["intent"] and result.slots == case["slots"]
    # a remark marked "known" is one the engine is known to take (the mark says for what):
    # counted apart, and the mark must go when it is no longer taken
    known = [c for c in cases if not c["intent"] and c.get("known")]
    assert all(read[c["text"]].intent is not None for c in known), [
        c["text"] for c in known if read[c["text"]].intent is None]
    accepted = [r for r in (read[c["text"]] for c in cases
                            if not c["intent"] and not c.get("known"))
                if r.intent is not None]
    assert len(accepted) <= 0.02 * (len(cases) - len(commands)), [
        (r.text, r.intent) for r in accepted]
    assert not [r for r in accepted if r.actuating]
    assert not [c for c in known if read[c["text"]].actuating]
    return right / len(commands), accepted


@pytest.mark.parametrize(("name", "floor"), [
    ("en-report.yaml", 0.95),  # the result: 97.7 % when last measured (127 of 130)
    ("en.yaml", 0.98),  # training score: 100 %
    ("en-tune2.yaml", 0.97),  # training score: 99.0 %
    ("en-tune3.yaml", 0.98),  # training score: 100 % (88.5 % when first run)
    ("en-tune4.yaml", 0.95),  # training now: 98.6 % (94.2 % before session 17, 79.7 % first)
    ("en-tune5.yaml", 0.97),  # training: 100 % (88.1 % when first run, session 18)
    ("en-tune6.yaml", 0.97),  # training: 100 % (88.1 % when first run, session 19)
    # written for out-of-domain speech (40 of its 56 sentences): 100 % (15 of 16 first run)
    ("en-tune7.yaml", 0.97),
    ("en-tune8.yaml", 0.97),  # training: 100 % (85.0 % when first run, session 25)
    ("en-tune9.yaml", 0.97),  # training: 97.5 % (90.0 % when first run, session 25)
    ("en-tune10.yaml", 0.97),  # training: 100 % (97.5 % when first run, session 26)
    ("en-tune11.yaml", 0.97),  # training: 100 % (90.6 % when first run, session 26)
    ("en-tune12.yaml", 0.97),  # training: 100 % (89.7 % when first run, session 26)
    ("en-tune13.yaml", 0.97),  # training: 100 % (77.5 % when first run, session 26)
    ("en-tune14.yaml", 0.97),  # training: 100 % (79.2 % when first run, session 27)
    ("en-tune15.yaml", 0.97),  # training: 100 % (75.6 % when first run, session 27)
    ("en-tune16.yaml", 0.97),  # training: 100 % (72.5 % when first run, session 27)
    ("en-tune17.yaml", 0.97),  # training: 100 % (60.0 % when first run, session 27)
    ("en-tune18.yaml", 0.97),  # training: 100 % (92.5 % when first run, session 27)
    ("en-tune19.yaml", 0.97),  # training: 100 % (67.6 % when first run, session 27)
    ("en-tune20.yaml", 0.97),  # training: 97.2 % (94.4 % when first run, session 27; "dewar no 4" left)
    ("en-tune21.yaml", 0.97),  # training: 100 % (89.1 % of commands when first run, session 28)
    ("en-tune22.yaml", 0.97),  # training: 100 % (80.0 % of commands when first run, session 28)
    # self-corrections: 50.0 % of commands when first run (four read with the corrected word)
    ("en-tune23.yaml", 0.97),
    ("en-tune24.yaml", 0.97),  # training: 100 % (83.3 % of commands when first run, session 28)
    ("en-tune25.yaml", 0.97),  # training: 100 % (75.0 % of commands when first run, session 28)
    ("en-tune26.yaml", 0.97),  # training: 100 % (72.7 % of commands when first run, session 28)
    # a request for later is no command now: 81.8 % (81.8 % of commands when first run; 1 of 9
    # requests for later was taken, "log fifty litres to tanaka lab tomorrow", none now)
    ("en-tune27.yaml", 0.8),
    # yes/no checks, alerts put as conditions, a second language's English: 94.1 % (79.4 % of
    # commands when first run, session 29; "should dewar twelve fall under twenty percent,
    # alert me" and "make the stop of the transfer" left)
    ("en-tune28.yaml", 0.9),
    # a reason said with the request: 76.9 % (23.1 % of commands when first run, session 29;
    # left: a reason before a command, a one-word answer with more said after it)
    ("en-tune29.yaml", 0.75),
    # casual American speech, recogniser-written text: 100 % (72.0 % of commands when first
    # run, session 29)
    ("en-tune30.yaml", 0.97),
    # what is said back once wanwan has spoken: 100 % (78.3 % of commands when first run,
    # session 29)
    ("en-tune31.yaml", 0.97),
    # people at the kiosk who are not technicians: 90.0 % (75.0 % of commands when first run,
    # session 29; left: a reason before an undo, "litres of gas", a unit the slot cannot say)
    ("en-tune32.yaml", 0.88),
    # British, Australian and Indian English at the bay: 95.8 % (70.8 % of commands when first
    # run, session 30; "pack it in, stop the transfer" left)
    ("en-tune33.yaml", 0.93),
    # a lab manager's books, numbers said every way: 95.0 % (85.7 % of commands when first
    # run, session 30; "log one fifty litres" is refused, no longer a log of fifty, not 150)
    ("en-tune34.yaml", 0.93),
    # requests wrapped in politeness or doubt: 94.7 % (31.6 % of commands when first run,
    # session 30; "i'd appreciate it if you undid the last log" left)
    ("en-tune35.yaml", 0.93),
    # the night shift, fillers and repeats: 90.5 % (80.0 % of commands when first run,
    # session 30, and "okay okay okay", written as muttered, taken as a yes; left: "right,
    # transfer, dewar twelve, go", "alarm, yeah, i know, acknowledged")
    ("en-tune36.yaml", 0.88),
    # during and after an alarm at the kiosk: 100 % (58.8 % of commands when first run,
    # session 30)
    ("en-tune37.yaml", 0.95),
    # every intent in the plainest other words (begin, halt, reverse, inventory, reclaim):
    # 100 % (86.2 % of commands when first run, session 30)
    ("en-tune38.yaml", 0.95),
    # the slots said first, apart, and words that describe around them: 82.4 % (47.1 % of
    # commands when first run, session 30; left: "in percent, how full is dewar seven" reads
    # without its unit, "cubic metres, how many is thirty litres", and "for professor tanaka's
    # group": a title before a lab made "i'm looking for professor tanaka" a log)
    ("en-tune39.yaml", 0.8),
    # questions asked the roundabout way (embedded, negative, "any news on"): 93.8 % (62.5 % of
    # commands when first run, session 30; "no alarms in the recovery room, right?" left: as a
    # template, "no problems" became an oxygen question)
    ("en-tune40.yaml", 0.9),
    # talk near the domain that asks nothing (25 sentences) among five requests: 100 %, none of
    # the 25 understood, when first run (session 30)
    ("en-tune41.yaml", 0.95),
    # measures and units asked every way: 100 % (100 % when first run, session 30)
    ("en-tune42.yaml", 0.95),
    # requests made for someone else ("my boss wants last month's recovery"): 100 % (25.0 %
    # of commands when first run, session 30)
    ("en-tune43.yaml", 0.95),
    # talked to as a phone's assistant ("hey wanwan", "set a reminder", "what's up with"):
    # 93.3 % (80.0 % of commands when first run, session 30; "what's the weather like in the
    # recovery room oxygen wise" left)
    ("en-tune44.yaml", 0.9),
    # context said around the request, new wording after en-tune29: 92.3 % (61.5 % of
    # commands when first run, session 30; "the gauge on dewar four looks odd, what's its
    # pressure" left)
    ("en-tune45.yaml", 0.9),
    # one morning at the plant, no theme: 94.7 % (84.2 % of commands when first run, session
    # 30; "oops, that should have been twenty five, undo it" left: a number before an undo)
    ("en-tune46.yaml", 0.9),
    # requests with a "not" that still ask, and denied ones: 80.0 % (11.1 % of commands when
    # first run, session 30, and "no, don't undo it", written as a refusal, was a cancel, as it
    # is to the undo's read-back; left: "not now, the transfer can wait", "nothing else,
    # thanks": "nothing" sounds as "meeting" does, and as a word of ours made "how long will
    # the meeting last" a question about a dewar)
    ("en-tune47.yaml", 0.75),
    # formal, written-sounding English ("kindly advise", "I should be grateful if"): 100 %
    # (**16.7 %** of commands when first run, session 30)
    ("en-tune48.yaml", 0.95),
    # a new technician's first weeks, unsure of the words: 87.5 % (62.5 % of commands when
    # first run, session 31; "how do i stop it, stop the transfer" is now a stop, not help, and
    # counted wrong here as it is not stop_transfer; a question answered by oneself, "should i
    # turn the compressor on, actually yes, start the compressor", left)
    ("en-tune49.yaml", 0.85),
    # terse, in gloves ("four pressure?", "again?"): 93.8 % (81.2 % when first run, session
    # 31; "seven into the nmr, go" left: a start read tolerantly is below the acting bar)
    ("en-tune50.yaml", 0.9),
    # numbers said as people say them: 100 % (91.7 % when first run, session 31)
    ("en-tune51.yaml", 0.95),
    # a manager planning the week: 91.7 % (75.0 % when first run, session 31; left: "are we
    # recovering more than last month" compares two periods)
    ("en-tune52.yaml", 0.8),
    # after an alarm at the kiosk, new wording after en-tune37: 83.3 % (66.7 % of commands
    # when first run, session 31; left: "is the bag really full or is that a false alarm", and
    # "what's the storage pressure, is it still high": a question asked again of "it")
    ("en-tune53.yaml", 0.8),
    # while a transfer runs: 83.3 % (75.0 % when first run, session 31; left: "what's the
    # pressure in dewar seven while it's transferring", a clause that sounds like a condition;
    # "halt it", a stop that is counted wrong as it is not stop_transfer)
    ("en-tune54.yaml", 0.8),
    # text as a recogniser writes it ("Dewar #12", "50L", "Stop. Stop the transfer."): 83.3 %
    # (83.3 % when first run, session 31; left: "dewar for" and "twelves level")
    ("en-tune55.yaml", 0.8),
    # asked from one place about another ("the gas bag in the recovery room"): 72.7 % (36.4 %
    # when first run, session 31; a place is now read past by a request that takes none;
    # left: "fill the ppms in the bay ...", which acts, "from the kiosk here, ...", and a
    # place in a clause after a log)
    ("en-tune56.yaml", 0.7),
    # wanwan shown to visitors ("watch this", "let's ask it", "so if i say"): 88.9 % (33.3 % of
    # commands when first run, session 31; "let's have it repeat that for you" left)
    ("en-tune57.yaml", 0.85),
    # put right after a wrong answer ("that's not what i asked, ...", "listen, ..."): 80.0 %
    # (50.0 % when first run, session 31; left: "no, i said the level of dewar twelve", as "no, i
    # said dewar twelve" must stay an answer to a read-back, and "i asked about dewar four, not
    # seven, what's its pressure")
    ("en-tune58.yaml", 0.75),
    # fillers and self-talk between the words of a request: 100 % (90.0 % when first run,
    # session 31)
    ("en-tune59.yaml", 0.95),
    # the lab's shorthand and jargon (lhe, ghe, top up, "bag's at what"): 81.8 % (72.7 % when
    # first run, session 31; left: "the two fifty", and "lhe out to sato lab", whose "out" is
    # not read as dispensed)
    ("en-tune60.yaml", 0.8),
    # English as Japanese researchers speak it ("dewar seven, pressure is how much"): 100 %
    # (92.3 % of commands when first run, session 31)
    ("en-tune61.yaml", 0.95),
    # questions about the books wanwan cannot answer, never a new entry: 100 %, none of the 8
    # taken (100 % and 0 of 8 when first run, session 31)
    ("en-tune62.yaml", 0.95),
    # requests that leave out what they need, for wanwan to ask: 100 % (90.9 % of commands
    # when first run, session 31)
    ("en-tune63.yaml", 0.95),
    # a story told before the request or after it: 85.7 % (42.9 % when first run, session 31;
    # a clause that names things is now read past before a question that takes none of them;
    # left: "so the bag was full all weekend and nobody noticed, anyway, how full is it now",
    # whose "it" is the bag of the story)
    ("en-tune64.yaml", 0.8),
    # two dewars or two things in one question, answered for neither: 2 of 3 commands and
    # none of 7 remarks taken (2 of 3 and 2 of 7 taken when first run, session 31: "is dewar
    # seven fuller than dewar four" was dewar four's level; a number that is a whole name is
    # now a name; left: "what's the level in dewar seven, the one next to dewar four")
    ("en-tune65.yaml", 0.6),
    # alerts asked every way: 100 % (85.7 % when first run, session 31; left: "tell me if the
    # oxygen drops below nineteen percent" and "let me know when the bag is ninety percent
    # full" are taken for a level alert: it asks which dewar, or, with a dewar or a fill in the
    # conversation, sets the alert on that one and says so)
    ("en-tune66.yaml", 0.95),
    # radio and procedure talk ("level check dewar seven over", "all stop", "requesting a fill
    # ..."): 100 % (81.2 % when first run, session 32; "over" is a tail-out, "request" a
    # lead-in, "all stop" a stop)
    ("en-tune67.yaml", 0.95),
    # a shift handover: 84.6 % (69.2 % when first run, session 32; left: "is the transfer into
    # the nmr still going", a vessel named of a question that takes none, and "where's dewar
    # four at pressure wise")
    ("en-tune68.yaml", 0.8),
    # questions asked against a figure ("is dewar seven above half"): 90.9 % (18.2 % when
    # first run, session 32; a figure said and not kept, `{figure:_figure}`; left: "has dewar
    # four got more than fifty litres in it", answered in percent where litres were expected)
    ("en-tune69.yaml", 0.9),
    # how long things last or take: 100 % (54.5 % when first run, session 32)
    ("en-tune70.yaml", 0.95),
    # requests put as what needs doing ("the compressor needs to be switched on"): 83.3 %
    # (16.7 % when first run, session 32; `duty_markers`: the thing read after the doing;
    # left: "we need the transfer stopped", "that last log has to go")
    ("en-tune71.yaml", 0.8),
    # out of hours at the kiosk, a guard or a cleaner: 88.9 % (66.7 % when first run, session
    # 32; left: "is that machine supposed to be running")
    ("en-tune72.yaml", 0.85),
    # light verbs before the real one ("go check", "have a look at", "get the transfer
    # stopped"): 100 % (50.0 % when first run, session 32)
    ("en-tune73.yaml", 0.95),
    # clock times beside a request: 50.0 %, no remark taken (37.5 % and 1 of 5 remarks taken
    # when first run, session 32: "start the transfer at three" was a transfer from dewar 3,
    # an actuating false accept; a time of day is now no name and no command now; left: an
    # entry with its pick-up time, "since monday" read as today)
    ("en-tune74.yaml", 0.5),
    # something going wrong at the bay, said in a hurry: 93.3 % (76.7 % when first run,
    # session 33; left: "what do I do, the oxygen alarm is on")
    ("en-tune75.yaml", 0.9),
    # a judgement asked for ("is dewar four running low"): 96.3 % (77.8 % when first run,
    # session 33; "does dewar three need topping up" is read as how long it lasts)
    ("en-tune76.yaml", 0.9),
    # the books in the words of money and stores ("charge", "bill sato lab for", "sign out",
    # "void the last line"): 100 % (50.0 % when first run, session 33)
    ("en-tune77.yaml", 0.95),
    # fills of the users' magnets as their owners name them ("top up the ppms", "bring
    # magnet two up to eighty"): 90.0 % (55.0 % when first run, session 34; left: a reason
    # after an alert that names a magnet, "now that" without a comma)
    ("en-tune78.yaml", 0.85),
    # the recovery side in its own words (the balloon, the gas holder, the storage
    # cylinders): 95.0 % (85.0 % when first run, session 34; left: "that's what the bag
    # holds" after a conversion, whose "what" reads as a question)
    ("en-tune79.yaml", 0.9),
    # a Japanese speaker's words in English ("ano", "hai, confirm", "tanaka-ken",
    # "onegaishimasu"): 100 % (30.0 % when first run, session 34)
    ("en-tune80.yaml", 0.95),
    # one breath to a colleague and to wanwan ("kenji, hold the hose, wanwan, stop the
    # transfer"): 95.0 % (70.0 % when first run, session 34; left: words to the colleague
    # after the request, "sorry kenji, ...")
    ("en-tune81.yaml", 0.9),
    # orders for things wanwan does not control (vent a dewar, switch on the liquefier),
    # beside the ones it does: 100 % (70.0 % and 1 of 20 remarks taken, not acting, when first
    # run, session 34; "turn off the oxygen monitor", the alarm silenced then, is not taken
    # since session 35 read "the oxygen monitor" as the oxygen reading)
    ("en-tune82.yaml", 0.95),
    # no theme, an afternoon at the plant: 95.0 % (85.0 % when first run, session 34)
    ("en-tune83.yaml", 0.9),
    # "still", "yet", "already", "so far", "any", "at all": 95.0 % (75.0 % when first run,
    # session 34; left: "is it still alarming, acknowledge it", a question before a request)
    ("en-tune84.yaml", 0.9),
    # a dewar described, not named ("the dewar on the scale", "the one by the door"): 40.0 %
    # (20.0 % when first run, session 34): the description read as "it", the request taken
    # and "Which dewar?" asked; only a description that says a describing word beside the
    # thing ("how much does a dewar cost" describes none). Left: relative clauses ("the one
    # that's hissing"), "the usual amount", "whichever is fullest"
    ("en-tune85.yaml", 0.35),
    # English of other places (British, Irish, Australian, Indian, American): 100 % (55.0 %
    # and 1 of 10 remarks taken when first run, session 35: "that's the last dewar sorted,
    # cheers" read its dewar as "it", "that's it", a cancel)
    ("en-tune86.yaml", 0.95),
    # readings asked through the instrument that shows them ("the level probe on dewar
    # seven", "the gauge on four"): 85.0 % (15.0 % when first run, session 35). Left: "the
    # dial ... saying for pressure", "the flow meter", "the compressor's status light"
    ("en-tune87.yaml", 0.85),
    # no theme, a Saturday with one technician on call: 89.5 % (68.4 % when first run, session
    # 35). Left: "I'm going to fill the ppms from seven, start it up" (the request told, then
    # asked for bare), "what's the oxygen like in the bay with the door shut"
    ("en-tune88.yaml", 0.85),
    # dewars going out on the van, checked and booked first: 56.2 % (37.5 % and 1 of 12
    # remarks taken when first run, session 35). "how much did we send out this month" is
    # still the recovery summary (sent out heard as got back), marked known. Left: the dewar
    # named inside what is told ("dewar seven is going out to suzuki lab, how full is it"),
    # clauses after a request that deny or name ("that dewar didn't go", "delivered by hand")
    ("en-tune89.yaml", 0.5),
    # slang of a late shift ("yo wanwan, gimme the level on twelve", "kill the compressor real
    # quick", "nuke that last entry, my bad"): 95.0 % (55.0 % when first run, session 35).
    # Left: "chuck thirty litres on sato lab's tab" (a template for it pushed the right one
    # for four other entries out of the matcher's shortlist)
    ("en-tune90.yaml", 0.95),
    # a lab manager's office English for the monthly report ("for the report, how much helium
    # did we recover last month", "is the oxygen level in the recovery room within limits",
    # "no, let's not go ahead with that"): 100 % (75.0 % when first run, session 36; two of
    # the five misses were labels of ours, corrected: the liquid of the stock, a delivery
    # logged as dispensed)
    ("en-tune91.yaml", 0.95),
    # a postdoc collecting helium for the first time ("hi, I'm from suzuki lab, we need to log
    # twenty litres", "how many litres of gas is one litre of liquid helium"): 100 % (80.0 %
    # when first run, session 36)
    ("en-tune92.yaml", 0.95),
    # a technician mid-task, the words broken by the work ("what's the, hang on, what's the
    # level in dewar seven", "log, um, where was I, log thirty litres to ito lab"): 100 % when
    # first run (session 36)
    ("en-tune93.yaml", 0.95),
    # the end of a day shift, handing over ("before I go, what's the level in dewar twelve",
    # "let the night shift know when dewar seven gets under twenty percent", "has the
    # compressor been on all afternoon"): 100 % (90.0 % when first run, session 37)
    ("en-tune94.yaml", 0.95),
    # requests passed on for someone else ("tanaka sensei wants to know ...", "yamamoto
    # sensei says log eight litres for his lab", "he says it's fine, go ahead", "they've
    # changed their mind, cancel it"): 95.0 % (70.0 % when first run, session 37). Left:
    # "the professor wants the compressor stopped" ("want the compressor stopped" in the
    # template made "what's the recovery compressor doing" a request to stop it)
    ("en-tune95.yaml", 0.95),
    # a safety induction at the recovery room kiosk ("what can I ask you", "is it safe to be in
    # here, what's the oxygen", "can you stop talking for a second"): 90.0 % (75.0 % when
    # first run, session 37). Left: "what does the compressor do right now, is it on" (the
    # thing asked about in the first clause, the question in the second), "how many litres
    # is that in cubic metres of gas, say twenty litres"
    ("en-tune96.yaml", 0.9),
    # questions that say how the answer should come ("dewar four, how many litres roughly",
    # "what's the level of dewar twelve, to the nearest litre"): 100 % (80.0 % when first run,
    # session 37; two of the four misses were labels of ours, corrected: the phase said with
    # the amount of a conversion)
    ("en-tune97.yaml", 0.95),
    # something going wrong at the bay ("emergency, stop the fill", "stop everything", "no,
    # no, cancel, don't start anything"): 90.0 % (75.0 % when first run, session 37; the two
    # stops missed were stops all the same, by the dialogue's rule that a stop word nothing
    # else explains stops). Left: "quiet, I can't hear myself think" (denied by its can't),
    # "is the transfer stopped" (a stop to the dialogue: read as the transfer's state, "is the
    # transfer stopping" was no longer a stop, and when in doubt wanwan stops)
    ("en-tune98.yaml", 0.9),
    # a lab manager deciding ("have we got enough liquid helium to give tanaka lab fifty
    # litres", "is the gas bag full enough to run the compressor", "okay, that's decided,
    # confirm"): 95.0 % (70.0 % when first run, session 37). Left: "and this month so far",
    # the period alone after a question of recovery (no turn is read with the one before)
    ("en-tune99.yaml", 0.95),
    # a retired MRI magnet emptied into the recovery line ("is the compressor keeping up with
    # the mri boil off", "log six cubic metres of gas recovered from the mri", "the gas alarm
    # went off, acknowledge it"): 95.0 % (65.0 % when first run, session 37). Left: "the mri
    # is venting into the bag now, how full is it" (the bag named in the telling, asked after
    # as "it": answered as a dewar's level, which asks which dewar)
    ("en-tune100.yaml", 0.95),
    # a checklist read out a step at a time ("step two, pressure on dewar four", "checklist
    # item two, dewar seven pressure", "second, is the compressor on"): 100 % (55.0 % when
    # first run, session 37)
    ("en-tune101.yaml", 0.95),
    # telegraphic, a technician short of breath ("level twelve", "pressure four?", "log
    # thirty, ito", "oxygen, bay"): 95.0 % when first run (session 37), and after. The miss,
    # "transfer, seven, start", was a transfer to a level of 7 % (read back, never sent
    # unconfirmed): a level is now said with its "to" or "percent", and the sentence is refused
    ("en-tune102.yaml", 0.95),
    # the afternoon after a power cut ("did the compressor come back on after the outage",
    # "how full did the gas bag get during the outage"): 95.0 % (65.0 % when first run, 60.0 %
    # without the second opinion of wanwan/nlu/wordbag.py, session 38). Left: "is the
    # transfer still running or did it stop" (a stop said and not read is refused)
    ("en-tune103.yaml", 0.95),
    # collection day at the loading dock ("sato lab took forty five litres, put it down",
    # "no, don't log it yet"): 95.0 % (75.0 % when first run, 70.0 % without the second
    # opinion, session 38)
    ("en-tune104.yaml", 0.95),
    # the year-end stocktake at the kiosk ("and last month, for comparison", "what's dewar
    # three's pressure for the record"): 95.0 % (75.0 % when first run, 65.0 % without the
    # second opinion, session 38)
    ("en-tune105.yaml", 0.95),
    # the night shift alone ("level of seven, percent please", "is the bag filling up much
    # tonight"): 75.0 % when first run (session 39, with and without the session's first
    # changes), 90.0 % after
    ("en-tune106.yaml", 0.9),
    # a visiting researcher, polite and wordy ("what kind of things can i ask you", "how long
    # would dewar four last if we leave it"): 80.0 % when first run (session 39, with and
    # without the session's first changes), 100 % after. One remark known to be taken
    ("en-tune107.yaml", 0.95),
    # after a quench of the nmr magnet ("how fast is the bag filling", "halt the transfer,
    # the line's iced up"): 85.0 % when first run (80.0 % without the session's first
    # changes, session 39), 95.0 % after
    ("en-tune108.yaml", 0.95),
    # the second report of session 39, written before anything was run on them (first runs:
    # 39 of 59 after the session's first tuning against 42 of 59 at its start). Monday
    # planning at the kiosk ("and gas in storage", "what's fifteen at right now"; "how much
    # went out last week" is our label corrected to none: what went out is not recovered):
    # 68.4 % when first run, 89.5 % after
    ("en-tune109.yaml", 0.85),
    # an undergraduate on a placement, hedging ("um, sorry, is it okay to ask what the level is
    # in dewar three", "sorry, i didn't mean that, cancel"): 65.0 % when first run, 90.0 % after
    ("en-tune110.yaml", 0.9),
    # the safety officer's round ("what about the nmr room", "which commands do you
    # understand", "turn the compressor off for the inspection"): 65.0 % when first run, 90.0 %
    # after
    ("en-tune111.yaml", 0.9),
    # session 40's report, written before anything was run on them (first runs: 52 of 60 with
    # the session's second opinion and without it). The stocktake before the winter closure
    # ("will fifteen still have helium in it when we come back in january", "and last
    # month", "turn the recovery compressor off for the shutdown"): 80.0 % when first run,
    # 95.0 % after (left: "and last month": an "and" in a template would tell a period from
    # "and dewar four")
    ("en-tune112.yaml", 0.95),
    # a busy morning of fills, said as briefly as will do ("ppms next, from dewar four",
    # "still going?"): 85.0 % when first run, 100 % after
    ("en-tune113.yaml", 0.95),
    # a new postdoc at the kiosk ("is anyone using the transfer line right now"): 95.0 % when
    # first run, 100 % after
    ("en-tune114.yaml", 0.95),
    # session 41's report, written before anything was run on them (first runs: 35 of 60).
    # Maintenance day ("is the compressor actually off now", "what pressure is the storage at
    # before we open it up"): 55.0 % when first run, 75.0 % after (left: a request said after
    # its reason that acts, "how much is in the bag while the compressor's down", whose
    # "while" makes it a condition, "how much have we got in total, liquid")
    ("en-tune115.yaml", 0.7),
    # a talkative technician ("you know what, just stop the transfer", "... basically"):
    # 70.0 % when first run, 95.0 % after
    ("en-tune116.yaml", 0.9),
    # relayed from a phone call ("they're asking if the transfer is finished yet", "the lab
    # asks whether the bag is nearly full", "they want to know the level in dewar four before
    # they come over"): 50.0 % when first run, 75.0 % after (left: requests that act after
    # their reason, "yes, that's what they said, confirm": a yes in those words made
    # en-report's "don't log that" a cancel on the bag's word)
    ("en-tune117.yaml", 0.7),
])
def test_held_out_typed_commands(engine, name, floor):
    share, _ = score(engine, name)
    assert share >= floor, f"{name}: {share:.1%}"
