// The query side of Chinese search, for mdBook 0.5's elasticlunr search (rust-lang/mdBook#1081).
//
// scripts/lib/cjk-search-index adds every Han character and every pair of neighbouring Han
// characters to each edition's search index, and appends this file to that index file, so it
// runs before the searcher loads the index and makes its first search. Here:
//   - a query is split the same way: 粘包现象 looks for 粘包, 包现 and 现象, all of them (AND),
//     and a single character looks for itself; words in other scripts go on as before;
//   - the teaser under a result shows the text around the Chinese words found, marked,
//     instead of mdBook's (which cuts at spaces, and Chinese has none).
(function () {
    'use strict';
    const lunr = window.elasticlunr;
    if (!lunr || lunr.cjkSearch) {
        return;
    }
    lunr.cjkSearch = true;

    const HAN = '\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff';
    const hasHan = new RegExp('[' + HAN + ']');
    const pieces = new RegExp('[' + HAN + ']+|[^' + HAN + ']+', 'g');

    // The index holds every character and every neighbouring pair.
    function hanTerms(run) {
        if (run.length === 1) {
            return [run];
        }
        const terms = [];
        for (let i = 0; i + 1 < run.length; i++) {
            terms.push(run.slice(i, i + 2));
        }
        return terms;
    }

    const tokenizer = lunr.tokenizer;
    lunr.tokenizer = Object.assign(function () {
        const tokens = [];
        for (const token of tokenizer.apply(this, arguments)) {
            if (!hasHan.test(token)) {
                tokens.push(token);
                continue;
            }
            for (const piece of token.match(pieces)) {
                tokens.push(...(hasHan.test(piece) ? hanTerms(piece) : [piece]));
            }
        }
        return tokens;
    }, tokenizer);

    // elasticlunr's pipeline (trimmer, English stop words, stemmer) would strip Chinese to
    // nothing: Chinese terms go past it.
    const run = lunr.Pipeline.prototype.run;
    lunr.Pipeline.prototype.run = function (tokens) {
        return run.call(this, tokens.filter(t => !hasHan.test(t)))
            .concat(tokens.filter(t => hasHan.test(t)));
    };

    // A Chinese query finds the sections that have all of its pairs, not any of them.
    const search = lunr.Index.prototype.search;
    lunr.Index.prototype.search = function (query, config) {
        if (typeof query === 'string' && hasHan.test(query) && config) {
            config = Object.assign({}, config, { bool: 'AND' });
        }
        return search.call(this, query, config);
    };

    // Keep the index the searcher loads, to write the teasers from its stored text.
    let index = null;
    const load = lunr.Index.load;
    lunr.Index.load = function () {
        index = load.apply(this, arguments);
        return index;
    };

    const escapeHTML = s => s.replace(/[&<>'"]/g, c => '&#' + c.charCodeAt(0) + ';');
    const escapeRegExp = s => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

    // What to look for in the text: the query's Chinese runs whole, then their pairs (a
    // section may have them apart), then its other words; longest first.
    function queryTerms(query) {
        const runs = query.match(new RegExp('[' + HAN + ']+', 'g')) || [];
        const words = query.toLowerCase().split(new RegExp('[\\s' + HAN + ']+'))
            .filter(w => w.length > 1);
        const terms = new Set(runs.concat(...runs.map(hanTerms), words));
        return [...terms].sort((a, b) => b.length - a.length);
    }

    function teaser(body, terms) {
        const lower = body.toLowerCase();
        let at = -1;
        for (const term of terms) {
            at = lower.indexOf(term);
            if (at >= 0) {
                break;
            }
        }
        if (at < 0) {
            return null;
        }
        const start = Math.max(0, at - 40);
        const end = Math.min(body.length, at + 100);
        const text = body.slice(start, end).replace(/\s+/g, ' ');
        const found = new RegExp(terms.map(escapeRegExp).join('|'), 'gi');
        let html = start > 0 ? '…' : '';
        let last = 0;
        for (const m of text.matchAll(found)) {
            html += escapeHTML(text.slice(last, m.index)) + '<em>' + escapeHTML(m[0]) + '</em>';
            last = m.index + m[0].length;
        }
        return html + escapeHTML(text.slice(last)) + (end < body.length ? '…' : '');
    }

    function rewriteTeasers(results) {
        const bar = document.getElementById('mdbook-searchbar');
        const config = window.search;
        if (!index || !bar || !hasHan.test(bar.value) || !config || !config.doc_urls) {
            return;
        }
        const terms = queryTerms(bar.value.trim());
        const refs = new Map(config.doc_urls.map((url, ref) => [url, String(ref)]));
        for (const li of results.children) {
            const a = li.querySelector('a');
            const span = li.querySelector('.teaser');
            if (!a || !span || span.dataset.cjk) {
                continue;
            }
            // The searcher links path_to_root + page + '?highlight=...#' + anchor.
            let href = a.getAttribute('href');
            if (typeof path_to_root === 'string' && href.startsWith(path_to_root)) {
                href = href.slice(path_to_root.length);
            }
            const page = href.replace(/[?#].*$/, '');
            const anchor = href.includes('#') ? href.slice(href.indexOf('#') + 1) : '';
            const ref = refs.get(anchor ? page + '#' + anchor : page);
            const doc = ref === undefined ? null : index.documentStore.getDoc(ref);
            const html = doc && teaser(doc.body || '', terms);
            if (html) {
                span.innerHTML = html;
                span.dataset.cjk = 'yes';
            }
        }
    }

    const results = document.getElementById('mdbook-searchresults');
    if (results) {
        new MutationObserver(() => rewriteTeasers(results)).observe(results, { childList: true });
    }
})();
