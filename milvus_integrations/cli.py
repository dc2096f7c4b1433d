"""`milvus-integrations`: ingest files, search them, inspect collections, and run the demo.

User mistakes end with one line on stderr and exit code 2; nothing prints a traceback for them.
Heavy imports (LangChain, LlamaIndex, torch) happen inside the commands that need them.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from milvus_integrations.core.errors import MilvusIntegrationError, PartialWriteError

if TYPE_CHECKING:
    from milvus_integrations.langchain import MilvusVectorStore

DEFAULT_URI = "./milvus_integrations.db"
DEFAULT_EMBEDDING = "local:all-MiniLM-L6-v2"
SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")
DEMO_QUERIES = (
    "how do I define a function with default argument values",
    "handle an exception and always run cleanup code",
    "what does the with statement do",
)


class UserError(Exception):
    """A mistake the user can fix: reported as one line."""


# -- reading files -------------------------------------------------------------------------------------------
def iter_files(paths: Sequence[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UserError(f"no such file or directory: {raw}")
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        elif path.suffix.lower() in SUFFIXES:
            yield path
        else:
            raise UserError(f"unsupported file type {path.suffix or '(none)'}: {raw} (use {', '.join(SUFFIXES)})")


def read_pages(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(text, metadata) for each page of a file (one page for text formats)."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        with _pypdf_warnings() as warned:
            try:
                reader = PdfReader(str(path))
                pages = [(page.extract_text() or "", {"page": i + 1}) for i, page in enumerate(reader.pages)]
            except PyPdfError as exc:
                raise UserError(f"cannot read {path} as a PDF: {exc}") from None  # (its warnings said the same)
        if warned:
            more = f" (and {len(warned) - 1} more)" if len(warned) > 1 else ""
            print(f"milvus-integrations: warning: {path}: {warned[0]}{more}", file=sys.stderr)
        return pages
    text = path.read_text(encoding="utf-8", errors="replace")
    if suffix in (".html", ".htm"):
        from bs4 import BeautifulSoup

        text = BeautifulSoup(text, "html.parser").get_text("\n")
    return [(text, {})]


@contextlib.contextmanager
def _pypdf_warnings() -> Iterator[list[str]]:
    """Collect what pypdf logs about a damaged file instead of letting it reach stderr line by line."""
    logger = logging.getLogger("pypdf")
    collected: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            collected.append(record.getMessage())

    handler = Collect(logging.WARNING)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield collected
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def chunk(
    pages: list[tuple[str, dict[str, Any]]], source: str, size: int, overlap: int
) -> list[tuple[str, str, dict[str, Any]]]:
    """(id, text, metadata) chunks; ids are stable per (source, chunk) so re-ingesting replaces."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap)
    out: list[tuple[str, str, dict[str, Any]]] = []
    for text, meta in pages:
        for piece in splitter.split_text(text):
            if not piece.strip():
                continue
            n = len(out)
            ident = hashlib.sha1(f"{source}\x00{n}".encode()).hexdigest()[:24]
            out.append((ident, piece, {"source": source, "chunk": n, **meta}))
    return out


# -- stores ----------------------------------------------------------------------------------------------------
def open_store(args: argparse.Namespace, *, full_text: bool, need_embedding: bool = True) -> MilvusVectorStore:
    from milvus_integrations.langchain import MilvusVectorStore, RetrievalMode

    mode = RetrievalMode(getattr(args, "mode", None) or ("hybrid" if full_text else "dense"))
    embedding = args.embedding if need_embedding or mode is not RetrievalMode.FULL_TEXT else None
    return MilvusVectorStore(embedding, uri=args.uri, collection_name=args.collection, retrieval_mode=mode)


def store_chunks(store: MilvusVectorStore, chunks: Sequence[tuple[str, str, dict[str, Any]]]) -> int:
    if chunks:
        store.add_texts([c[1] for c in chunks], [c[2] for c in chunks], ids=[c[0] for c in chunks])
    return len(chunks)


def store_batch(store: MilvusVectorStore, chunks: Sequence[tuple[str, str, dict[str, Any]]], stored: int) -> int:
    """`store_chunks` for `ingest`: a failure says how many chunks are stored and that a rerun completes."""
    try:
        return store_chunks(store, chunks)
    except (MilvusIntegrationError, OSError, ValueError) as exc:
        stored += len(exc.written_ids) if isinstance(exc, PartialWriteError) else 0
        raise UserError(
            f"{exc} ({stored} chunks are stored; running the same command again completes the collection)"
        ) from None


def add_chunks(store: MilvusVectorStore, chunks: list[tuple[str, str, dict[str, Any]]], batch: int, bar: Any) -> None:
    for start in range(0, len(chunks), batch):
        bar.update(store_chunks(store, chunks[start : start + batch]))


# -- commands --------------------------------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    """Files are read, chunked, embedded and stored a batch at a time: memory holds one batch, not the corpus.
    Chunk ids are stable, so after a failure part-way, running the same command again completes the collection."""
    from tqdm.auto import tqdm

    files = list(iter_files(args.paths))
    if not files:
        raise UserError("no .txt, .md, .html or .pdf files found")
    if args.quiet:  # the local model's loading bars too (read when transformers loads, after this)
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    started = time.perf_counter()
    store = open_store(args, full_text=args.full_text)
    pending: list[tuple[str, str, dict[str, Any]]] = []
    stored = 0
    with tqdm(files, desc="reading, embedding, storing", unit="file", disable=args.quiet) as bar:
        for path in bar:
            try:
                pages = read_pages(path)
            except (UserError, OSError) as exc:
                if stored:
                    raise UserError(f"{exc} ({stored} chunks of the files before it are stored)") from None
                raise
            pending.extend(chunk(pages, str(path), args.chunk_size, args.chunk_overlap))
            whole = len(pending) - len(pending) % args.batch_size
            for start in range(0, whole, args.batch_size):
                stored += store_batch(store, pending[start : start + args.batch_size], stored)
                bar.set_postfix(chunks=stored)
            del pending[:whole]
        stored += store_batch(store, pending, stored)
    store.flush()
    seconds = time.perf_counter() - started
    print(f"ingested {len(files)} files, {stored} chunks in {seconds:.1f}s into {args.collection!r} at {args.uri}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    try:
        filter = json.loads(args.filter) if args.filter else None
    except json.JSONDecodeError as exc:
        raise UserError(f"--filter is not valid JSON: {exc.msg} at position {exc.pos}") from None
    store = open_store(args, full_text=args.mode != "dense", need_embedding=args.mode != "full_text")
    if not store.collection_exists():
        raise UserError(f"collection {args.collection!r} does not exist at {args.uri}; ingest something first")
    results = store.similarity_search_with_relevance_scores(args.query, k=args.k, filter=filter)
    if args.json:
        print(
            json.dumps(
                [
                    {"id": d.id, "score": round(s, 4), "text": d.page_content, "metadata": d.metadata}
                    for d, s in results
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    if not results:
        print("no results")
    for rank, (doc, score) in enumerate(results, start=1):
        snippet = " ".join(doc.page_content.split())[:100]
        print(f"{rank:>2}  {score:.3f}  {str(doc.metadata.get('source', '')):<32}  {snippet}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from milvus_integrations.core.connection import ConnectionConfig

    client = ConnectionConfig.from_args(args.uri).connect()
    names = [args.collection] if args.collection else sorted(client.list_collections())
    if not names:
        print(f"no collections at {args.uri}")
    for name in names:
        if not client.has_collection(name):
            raise UserError(f"collection {name!r} does not exist at {args.uri}")
        client.load_collection(name)
        desc = client.describe_collection(name)
        count = client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"]
        print(f"{name}: {count} rows, dynamic fields {'on' if desc.get('enable_dynamic_field') else 'off'}")
        for f in desc.get("fields", []):
            dim = f.get("params", {}).get("dim")
            extra = " primary" if f.get("is_primary") else ""
            print(f"  {f['name']:<24} {getattr(f['type'], 'name', f['type'])}{f' dim={dim}' if dim else ''}{extra}")
        for index in client.list_indexes(name):
            info = client.describe_index(name, index)
            print(f"  index on {info.get('field_name')}: {info.get('index_type')} metric={info.get('metric_type')}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pydoc_data.topics import topics

    from tqdm.auto import tqdm

    uri = args.uri or str(Path(tempfile.mkdtemp(prefix="milvus-demo-")) / "demo.db")
    names = sorted(topics)[: args.limit] if args.limit else sorted(topics)
    print(f"demo: {len(names)} Python help topics -> Milvus Lite at {uri} (model {args.embedding})")
    started = time.perf_counter()
    chunks: list[tuple[str, str, dict[str, Any]]] = []
    for name in names:
        chunks.extend(chunk([(topics[name], {"topic": name})], f"pydoc:{name}", 800, 80))
    ns = argparse.Namespace(uri=uri, collection="pydoc", embedding=args.embedding, mode="hybrid")
    store = open_store(ns, full_text=True)
    with tqdm(total=len(chunks), desc="embedding + storing", unit="chunk") as bar:
        add_chunks(store, chunks, 64, bar)
    store.flush()
    print(f"stored {len(chunks)} chunks in {time.perf_counter() - started:.1f}s\n")

    retriever = store.as_retriever(search_kwargs={"k": 3})
    print("LangChain retriever (hybrid: dense + BM25):")
    for query in DEMO_QUERIES:
        docs = retriever.invoke(query)
        print(f"  {query!r}\n    -> " + ", ".join(str(d.metadata.get("topic")) for d in docs))

    from llama_index.core import VectorStoreIndex

    from milvus_integrations.embeddings.llama_index import to_llama_index_embedding
    from milvus_integrations.llama_index import MilvusVectorStore as LlamaIndexStore

    assert store.embedder is not None
    embed = to_llama_index_embedding(store.embedder)
    index = VectorStoreIndex.from_vector_store(LlamaIndexStore(uri=uri, collection_name="pydoc"), embed_model=embed)
    print("\nLlamaIndex retriever on the same collection:")
    for query in DEMO_QUERIES:
        nodes = index.as_retriever(similarity_top_k=3).retrieve(query)
        print(f"  {query!r}\n    -> " + ", ".join(f"{n.node.metadata.get('topic')} ({n.score:.2f})" for n in nodes))
    return 0


# -- entry point -------------------------------------------------------------------------------------------------
def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="milvus-integrations", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser, collection: bool = True) -> None:
        sp.add_argument("--uri", default=DEFAULT_URI, help="Milvus Lite .db path or http(s)://host:port")
        if collection:
            sp.add_argument("--collection", default="documents")
        sp.add_argument("--embedding", default=DEFAULT_EMBEDDING, help="local:MODEL or openai:MODEL")

    ingest = sub.add_parser("ingest", help="read, split, embed and store files")
    ingest.add_argument("paths", nargs="+")
    common(ingest)
    ingest.add_argument("--chunk-size", type=positive_int, default=1000)
    ingest.add_argument("--chunk-overlap", type=int, default=100)
    ingest.add_argument("--batch-size", type=positive_int, default=64, help="chunks embedded and stored at a time")
    ingest.add_argument("--full-text", action="store_true", help="also index BM25 for full-text/hybrid search")
    ingest.add_argument("--quiet", action="store_true")
    ingest.set_defaults(run=cmd_ingest)

    search = sub.add_parser("search", help="ranked results for a query")
    search.add_argument("query")
    common(search)
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--filter", help='a JSON filter, e.g. \'{"source": "a.md"}\'')
    search.add_argument("--mode", choices=["dense", "full_text", "hybrid"], default="dense")
    search.add_argument("--json", action="store_true")
    search.set_defaults(run=cmd_search)

    info = sub.add_parser("info", help="collections, row counts, schema and index")
    info.add_argument("--uri", default=DEFAULT_URI)
    info.add_argument("--collection")
    info.set_defaults(run=cmd_info)

    demo = sub.add_parser("demo", help="ingest the Python docs with a local model and answer a few queries")
    demo.add_argument("--uri", help="where to keep the demo database (default: a temp dir)")
    demo.add_argument("--limit", type=int, help="only the first N help topics")
    demo.add_argument("--embedding", default=DEFAULT_EMBEDDING)
    demo.set_defaults(run=cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except (UserError, MilvusIntegrationError, OSError, ValueError) as exc:
        print(f"milvus-integrations: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
