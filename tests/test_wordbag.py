"""The second opinion: a question below its bar is answered where the catalogue's nearest
sentences agree on it; chatter in the catalogue's own words, and anything that acts, are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from wanwan import load_engine
from wanwan.errors import UserError
from wanwan.nlu import IntentEngine, load_catalog
from wanwan.nlu.wordbag import OTHER, SecondOpinion, WordBag, _catalogue_sentences, features


@pytest.fixture(scope="module")
def ja() -> IntentEngine:
    return load_engine(ROOT / "intents" / "ja")


def test_the_nearest_sentences_vote_by_their_words_not_their_order():
    bag = WordBag([
        ("level", ["what", "is", "the", "level", "in", "dewar", "#12"], 1),
        ("level", ["level", "of", "dewar", "#7", "please"], 1),
        ("level", ["how", "full", "is", "dewar", "#3"], 1),
        ("pressure", ["what", "is", "the", "pressure", "in", "dewar", "#4"], 2),
        (OTHER, ["the", "price", "of", "helium", "went", "up"], 3),
    ])
    belief, _ = bag.weigh(["dewar", "#9", "level", "what", "is", "it"])
    assert max(belief, key=belief.get) == "level" and abs(sum(belief.values()) - 1) < 1e-6
    chatter, nearest = bag.weigh(["the", "price", "went", "up", "again"])
    assert max(chatter, key=chatter.get) == OTHER
    assert nearest == OTHER
    assert bag.weigh(["level", "of", "dewar", "#4"])[1] == "level"
    assert bag.weigh(["nothing", "known"]) == ({}, None)
    # every number is the same word; the ends of a sentence are marked
    assert features(["dewar", "#12"]) == ["dewar", "#", "< dewar", "dewar #", "# >"]


def test_a_question_below_its_bar_is_answered_where_the_words_agree(engine):
    said = engine.parse("how far along is the nmr fill")
    assert (said.intent, said.slots) == ("transfer_status", {})
    assert said.confidence < engine.catalog.intents["transfer_status"].min_confidence
    assert said.second_opinion is not None and said.second_opinion >= engine.second_opinion.agree
    assert said.to_json()["second_opinion"] == said.second_opinion
    # a reading at its bar needs no second opinion
    plain = engine.parse("how much did we recover this month")
    assert plain.second_opinion is None and "second_opinion" not in plain.to_json()


@pytest.mark.parametrize("remark", [
    "the price went up again",
    "how much money do we have left in the budget",
    "maybe we need a bigger gas bag",
    # rejected by the catalogue in these very words, and near many stock questions: the one
    # sentence nearest of all outweighs them
    "how much beer do we have",
    "Thank you.",  # what Whisper writes for noise: two words are too few to judge as a bag
])
def test_chatter_in_the_catalogues_words_stays_refused(engine, remark):
    assert engine.parse(remark).intent is None


def test_nothing_that_acts_is_taken_on_a_second_opinion(engine, ja):
    for catalogue in (engine, ja):
        opinion = catalogue.second_opinion
        assert opinion is not None
        acting = [i for i in catalogue.catalog.intents.values() if i.actuating]
        assert acting and not any(opinion.answers(i) for i in acting)
        # nor a yes, an entry in the ledger or an alarm silenced
        for name in ("confirm", "log_volume", "acknowledge_alarm"):
            assert not opinion.answers(catalogue.catalog.intents[name])
    # below the bar of a transfer, whatever the words say
    assert engine.parse("the professor wants the transfer from dewar seven going").intent is None


def test_a_bag_that_agrees_less_needs_a_surer_reading():
    opinion = SecondOpinion(floor=0.5, agree=0.7, also=frozenset(), together=1.3)
    assert opinion.agrees(0.5, 0.8) and opinion.agrees(0.62, 0.72)
    assert not opinion.agrees(0.52, 0.75)  # both barely: 1.27 together
    assert not opinion.agrees(0.95, 0.65)  # the bag below its own bar, however sure the reading
    assert not opinion.agrees(0.45, 1.0)  # the reading below the floor
    # without ``together``, each bar alone (a catalogue written before it)
    assert SecondOpinion(floor=0.5, agree=0.7, also=frozenset()).agrees(0.5, 0.7)


CATALOGUE = """
language: {{code: en}}
settings:
{settings}
lists:
  vessel: {{values: [one, two]}}
intents:
  read_level:
    question: true
    data:
      - sentences: ["what is the level in vessel {{vessel}}"]
  fill:
    actuating: true
    data:
      - sentences: ["fill vessel {{vessel}}"]
"""


@pytest.mark.parametrize("settings,fragment", [
    ("  second_opinion: {floor: 0.5}", "mapping of floor, agree, together and also"),
    ("  second_opinion: {floor: high, agree: 0.8}", "must be numbers"),
    ("  second_opinion: {floor: 0.5, agree: 2}", "shares from 0 to 1"),
    ("  second_opinion: {floor: 0.5, agree: 0.7, together: 2.5}", "a sum of the two"),
    ("  second_opinion: {floor: 0.5, agree: 0.8, also: [paint]}", "names no intent paint"),
    ("  second_opinion: {floor: 0.5, agree: 0.8, also: [fill]}", "fill, which acts"),
])
def test_a_wrong_second_opinion_setting_names_the_folder_and_key(tmp_path: Path, settings,
                                                                 fragment):
    (tmp_path / "intents.yaml").write_text(CATALOGUE.format(settings=settings))
    with pytest.raises(UserError, match=fragment) as raised:
        IntentEngine(load_catalog(tmp_path))
    assert f"{tmp_path}: settings: second_opinion" in str(raised.value)


def test_a_catalogue_without_the_setting_has_no_second_opinion(tmp_path: Path):
    (tmp_path / "intents.yaml").write_text(CATALOGUE.format(settings="  min_confidence: 0.7"))
    engine = IntentEngine(load_catalog(tmp_path))
    assert engine.second_opinion is None
    assert engine.parse("what is the level in vessel one").intent == "read_level"


def test_a_template_added_elsewhere_leaves_every_other_templates_walks_as_they_were(
        tmp_path: Path):
    """Each template's walks are drawn from its own words: a template added to one intent
    changes no other template's walks, nor any other sentence's second opinion (drawn in
    turn from one generator, every template after it was walked anew)."""

    def walks(folder: Path, extra: str) -> dict[str, list[list[str]]]:
        folder.mkdir()
        text = CATALOGUE.format(settings="  min_confidence: 0.7").replace(
            '["what is the level in vessel {vessel}"]',
            f'["what is the level in vessel {{vessel}}"{extra}]')
        (folder / "intents.yaml").write_text(text)
        by_template: dict[str, list[list[str]]] = {}
        for label, words, source in _catalogue_sentences(load_catalog(folder)):
            by_template.setdefault(f"{label} {source}", []).append(words)
        return by_template

    before = walks(tmp_path / "before", "")
    after = walks(tmp_path / "after", ', "how (full|empty) is vessel {vessel} [now]"')
    assert set(after) == {"read_level 1", "read_level 2", "fill 3"}
    assert before["read_level 1"] == after["read_level 1"]
    assert before["fill 2"] == after["fill 3"]
