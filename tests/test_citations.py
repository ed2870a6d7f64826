"""Citations people can open: 'Title › Section, p. N' on every front end, and a link from the document, the
manifest or the corpus's url_template, deep-linked to the section or page."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import write_corpus

from bot.config import Config, ConfigError, load_config
from bot.discord_adapter.render import render_answer as render_discord
from bot.rendering import source_label
from bot.slack_adapter.render import render_answer as render_slack
from bot.text_render import render_plain
from retrieval import Answer, Quote, Retriever
from retrieval.citations import link

GUIDE = "# Field Guide\n\n## Night herons\n\nThe night heron hunts at dusk along slow rivers and quiet ponds.\n"


def quote(**fields: object) -> Quote:
    values: dict[str, object] = {
        "text": "The night heron hunts at dusk along slow rivers and quiet ponds.",
        "source": "birds/guide.md",
        "title": "Field Guide",
        "start": 32,
        "end": 96,
        "line": 5,
        "score": 1.0,
    }
    return Quote.model_validate(values | fields)


def ask(tmp_path: Path, files: dict[str, str], template: str | None = None) -> Quote:
    corpus = write_corpus(tmp_path / "c", files)
    retriever = Retriever.open(corpus, index_path=tmp_path / "index", url_template=template)
    answer = retriever.ask("when does the night heron hunt?")
    assert answer.answered
    return answer.quotes[0]


def test_the_document_link_comes_first_then_the_manifest_then_the_template(tmp_path: Path) -> None:
    manifest = '[files."guide.md"]\nurl = "https://manifest.example.com/guide"\n'
    front_matter = "---\nurl: https://docs.example.com/guide\n---\n"
    template = "https://wiki.example.com/{path}"
    assert ask(tmp_path / "a", {"guide.md": front_matter + GUIDE, "manifest.toml": manifest}, template).url == (
        "https://docs.example.com/guide#night-herons"
    )
    assert ask(tmp_path / "b", {"guide.md": GUIDE, "manifest.toml": manifest}, template).url == (
        "https://manifest.example.com/guide#night-herons"
    )
    assert ask(tmp_path / "c", {"guide.md": GUIDE}, template).url == "https://wiki.example.com/guide.md#night-herons"
    assert ask(tmp_path / "d", {"guide.md": GUIDE}).url is None


def test_a_link_a_document_gives_that_is_not_http_is_ignored(tmp_path: Path) -> None:
    front_matter = "---\nurl: javascript:alert(document.cookie)\n---\n"
    assert ask(tmp_path, {"guide.md": front_matter + GUIDE}).url is None


def test_the_template_fills_in_path_stem_and_anchor() -> None:
    assert link(None, "https://wiki.example.com/{path}", "birds/night herons.md", "night-herons") == (
        "https://wiki.example.com/birds/night%20herons.md#night-herons"
    )
    assert link(None, "https://wiki.example.com/{stem}?section={anchor}", "birds/guide.md", "page=3") == (
        "https://wiki.example.com/guide?section=page=3"
    )
    assert link(None, "https://wiki.example.com/{stem}", "guide.md") == "https://wiki.example.com/guide"
    assert link("https://example.com/a#already", None, "a.md", "x") == "https://example.com/a#already"


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("https://wiki.example.com/{name}", "unknown field {name}"),
        ("https://wiki.example.com/{path", "not a valid template"),
        ("file:///etc/{path}", "must be an http:// or https:// link"),
    ],
)
def test_a_bad_url_template_is_one_line_naming_the_key(tmp_path: Path, template: str, problem: str) -> None:
    config = tmp_path / "citebot.toml"
    config.write_text(f'[corpus]\nurl_template = "{template}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"citebot.toml: corpus.url_template: .*{problem}"):
        load_config(config)


def test_a_url_template_in_the_config_reaches_the_answers(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"guide.md": GUIDE})
    config = tmp_path / "citebot.toml"
    config.write_text(
        f'[corpus]\npath = "{corpus}"\nindex_path = "{tmp_path / "index"}"\n'
        'url_template = "https://wiki.example.com/{stem}.html"\n',
        encoding="utf-8",
    )
    from bot.answering import open_retriever

    answer = open_retriever(load_config(config)).ask("when does the night heron hunt?")
    assert answer.quotes[0].url == "https://wiki.example.com/guide.html#night-herons"
    assert Config().corpus.url_template is None


def test_the_label_is_title_and_section_and_page() -> None:
    linked = "https://docs.example.com/guide#night-herons"
    assert source_label(quote(section="Night herons", url=linked)) == "Field Guide › Night herons"
    assert source_label(quote(section="Hotels", page=2, url=linked)) == "Field Guide › Hotels, p. 2"


def test_without_a_link_the_label_also_says_where_the_quote_is() -> None:
    assert source_label(quote(section="Night herons")) == "Field Guide › Night herons — birds/guide.md, line 5"
    assert source_label(quote(source="policy.pdf", page=3, derived=True)) == "Field Guide, p. 3 — policy.pdf"
    assert source_label(quote(url="javascript:alert(1)")) == "Field Guide — birds/guide.md, line 5"


def test_every_front_end_shows_the_same_label_and_link() -> None:
    url = "https://docs.example.com/guide#night-herons"
    answer = Answer(question="when do herons hunt?", answered=True, quotes=[quote(section="Night herons", url=url)])
    label = "Field Guide › Night herons"
    assert f"[1] {label} — {url}" in render_plain(answer)
    slack = render_slack(answer)
    assert f"<{url}|{label}>" in str(slack["blocks"])
    assert f"<{url}|{label}>" in slack["text"]
    [embed] = render_discord(answer).embeds
    assert f"[{label}]({url})" in (embed.description or "")


def test_a_section_name_cannot_ping_or_link_on_any_front_end() -> None:
    answer = Answer(
        question="q", answered=True, quotes=[quote(section="@everyone <!channel> [x](https://evil.example)")]
    )
    slack = render_slack(answer)
    assert "<!channel>" not in str(slack["blocks"]) and "<!channel>" not in slack["text"]
    [embed] = render_discord(answer).embeds
    assert "@everyone" not in (embed.description or "").replace("@\u200beveryone", "")
    assert "\\[x](https://evil.example)" in (embed.description or "")  # the bracket is escaped: no link
