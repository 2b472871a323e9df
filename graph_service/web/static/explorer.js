// The investigator explorer: one page over the JSON API, called with the investigator's own key, so the
// page can show nothing that key may not see, and every lookup lands in the audit trail as the key's.
"use strict";

(() => {
  const LABELS = JSON.parse(document.getElementById("labels").textContent);
  const $ = (id) => document.getElementById(id);
  const KEY_STORE = "credit-graph-key"; // sessionStorage: gone when the tab closes
  const MAX_LIMIT = 5000;
  // Nodes per expansion (?limit=N on the page's address changes it); the rest is one "还有 N 个" node.
  const asked = Number(new URLSearchParams(location.search).get("limit"));
  const FIRST_LIMIT = Number.isInteger(asked) && asked >= 1 && asked <= MAX_LIMIT ? asked : 30;
  const DOMAINS = {
    court: "法院", tax: "税务", safety: "安全生产", food_drug: "食品药品", environment: "生态环境",
    securities: "证券期货", agriculture: "农业", statistics: "统计", customs: "海关", market: "市场监管",
    labour: "劳动保障", bidding: "招标投标",
  };
  const KIND_ZH = { enterprise: "企业", person: "人员", entry: "名单记录" };
  const EVIDENCE_ZH = {
    common_controller: "同一实际控制人", ownership: "相互持股", branch: "总分支机构", shared_person: "共同任职人员",
    common_shareholder: "共同股东", shared_phone: "相同联系电话", shared_email: "相同电子邮箱",
    shared_address: "相同住所",
  };
  const LEVEL_ZH = { high: "高", medium: "中", low: "低" };
  const VIA_ZH = { subject: "被列入主体", named_responsible: "决定书列明的责任人", role: "任职" };

  const state = { key: sessionStorage.getItem(KEY_STORE) || "", cy: null, expanded: new Map(), panelRequest: 0,
    // Answers to requests made before a reset (session) or before the graph was replaced (generation)
    // are dropped when they arrive: one key's data never lands under another's.
    session: 0, generation: 0 };
  window.creditGraphExplorer = state; // for a look from the browser console

  // -- messages -------------------------------------------------------------------------------------

  class UiError extends Error {
    constructor(message, kind) {
      super(message);
      this.kind = kind;
    }
  }

  function say(text) {
    $("error").hidden = true;
    $("message").textContent = text;
    $("message").hidden = !text;
  }

  function fail(err) {
    const text = err instanceof UiError ? err.message : `页面出错：${err}`;
    $("message").hidden = true;
    $("error").textContent = text;
    $("error").hidden = false;
    if (err instanceof UiError && err.kind === "key") {
      sessionStorage.removeItem(KEY_STORE);
      state.key = "";
      reset();
      showKeyPanel();
    }
  }

  const when = (iso) => (iso ? iso.slice(0, 16).replace("T", " ") + " UTC" : "");

  function problemText(status, problem) {
    if (status === 401) {
      if (problem.reason === "expired") return [`密钥已过期（于 ${when(problem.expired_at)}），请向管理员申请新的密钥后重新进入。`, "key"];
      if (problem.reason === "missing") return ["请先输入调查人员密钥。", "key"];
      return ["密钥无效或已被吊销，请重新输入。", "key"];
    }
    if (status === 403) return ["该密钥无权执行此操作。", "forbidden"];
    if (status === 404) return ["未找到该对象，它可能不存在或您无权查看。", "missing"];
    if (status === 409) return ["该记录当前的状态不允许这样操作。", "conflict"];
    if (status === 422) {
      // Identifier checks are named, so they can be said in Chinese; other reasons are shown as given.
      const fields = (problem.errors || []).map((e) => `${e.field}：${(e.check && LABELS.checks[e.check]) || e.reason}`);
      return [`输入有误：${fields.length ? fields.join("；") : problem.detail || ""}`, "input"];
    }
    return [`服务暂时不可用（HTTP ${status}），请稍后重试。`, "server"];
  }

  async function api(path, body) {
    const headers = { "X-API-Key": state.key, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method: body === undefined ? "GET" : "POST",
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new UiError("无法连接服务：请检查网络连接，或确认服务是否在运行，稍后重试。", "unreachable");
    }
    if (response.ok) return response.json();
    let problem = {};
    try {
      problem = await response.json();
    } catch (err) {
      problem = {};
    }
    const [text, kind] = problemText(response.status, problem);
    throw new UiError(text, kind);
  }

  // -- small DOM helpers ----------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const pct = (v) => (v === null || v === undefined ? "未知" : `${(v * 100).toFixed(2).replace(/\.?0+$/, "")}%`);
  const day = (v) => v || "—";
  const roleZh = (type, position) => {
    if (type === "NAMES") return "列入";
    if (type === "NAMED_RESPONSIBLE") return `责任人${position ? "·" + position : ""}`;
    return (LABELS.roles[type] || type) + (position ? `·${position}` : "");
  };
  const domainsZh = (domains) => domains.map((d) => DOMAINS[d] || d).join("、");

  // -- the key ----------------------------------------------------------------------------------------

  // Whatever one key was shown leaves the page with it: the next key starts from nothing.
  function reset() {
    state.session += 1;
    state.generation += 1;
    if (state.cy) state.cy.elements().remove();
    state.expanded.clear();
    state.panelRequest += 1;
    for (const id of ["results", "node-list", "bidder-results"]) $(id).replaceChildren();
    $("results-box").hidden = true;
    const panel = $("panel");
    delete panel.dataset.key;
    panel.replaceChildren(el("p", { class: "muted" }, "选择图中的节点查看信用记录、还须限制的对象、多名单情况和股权穿透。"));
    $("node-count").textContent = "0";
    $("export-png").disabled = $("export-csv").disabled = true;
    $("who").textContent = "";
    $("q").value = "";
    $("bidder-usccs").value = "";
    $("graph-note").textContent = "搜索并选择一个企业或人员，查看其关联关系。点击节点展开其关联方。";
  }

  function showKeyPanel() {
    $("workbench").hidden = true;
    $("key-panel").hidden = false;
    $("api-key").focus();
  }

  async function enter(key) {
    reset();
    state.key = key;
    const me = await api("/v1/me");
    if (!me.may.includes("explore")) {
      state.key = "";
      throw new UiError(`调查工作台需要调查人员或管理员密钥；此密钥的角色是“${LABELS.keyRoles[me.role] || me.role}”。`, "key");
    }
    sessionStorage.setItem(KEY_STORE, key);
    $("who").textContent = `${me.name}（${LABELS.keyRoles[me.role] || me.role}）`;
    $("key-panel").hidden = true;
    $("workbench").hidden = false;
    say("");
    $("q").focus();
  }

  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    enter($("api-key").value.trim()).catch(fail);
  });

  $("sign-out").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_STORE);
    state.key = "";
    $("api-key").value = "";
    reset();
    say("已退出。");
    showKeyPanel();
  });

  // -- search -----------------------------------------------------------------------------------------

  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    search($("q").value.trim()).catch(fail);
  });

  async function search(q) {
    if (!q) return;
    say("正在搜索…");
    const session = state.session;
    const page = await api(`/v1/search?q=${encodeURIComponent(q)}&kind=all&size=20`);
    if (session !== state.session) return;
    const list = $("results");
    list.replaceChildren();
    $("results-box").hidden = false;
    if (page.code_problem) {
      say(`「${q}」像是统一社会信用代码，但未通过校验：${LABELS.checks[page.code_check] || "代码格式不对"}。已按名称搜索。`);
    } else {
      say("");
    }
    if (page.total === 0) {
      list.append(el("li", { class: "empty" }, `未找到与「${q}」相关的企业或人员。`));
      if (!page.code_problem) say(`未找到与「${q}」相关的企业或人员。`);
      return;
    }
    for (const hit of page.hits) {
      list.append(
        el("li", {},
          el("button", { type: "button", class: "link", "data-kind": hit.kind, "data-key": hit.key,
            onclick: () => openSubject(hit.kind, hit.key).catch(fail) },
            el("span", { class: `dot ${hit.kind}` }), hit.name || hit.key,
            el("span", { class: "muted" }, ` ${KIND_ZH[hit.kind]} · ${hit.kind === "enterprise" ? hit.key : "人员"}`)))
      );
    }
    if (page.total > page.hits.length) list.append(el("li", { class: "muted" }, `共 ${page.total} 条，仅列出前 ${page.hits.length} 条；请输入更完整的名称。`));
    list.querySelector("button").focus();
  }

  // -- the graph --------------------------------------------------------------------------------------

  const nodeId = (kind, key) => `${kind}:${key}`;

  function graph() {
    if (state.cy) return state.cy;
    if (typeof cytoscape !== "function") throw new UiError("关系图组件未加载：请运行 scripts/setup-web 后刷新。", "setup");
    state.cy = cytoscape({
      container: $("graph"),
      style: [
        { selector: "node", style: {
          label: "data(label)", "font-size": 11, "text-valign": "bottom", "text-margin-y": 4,
          "text-wrap": "ellipsis", "text-max-width": 120, width: 26, height: 26, "border-width": 1,
          "border-color": "#fff", color: "#1d2733", "font-family": "WenQuanYi Micro Hei, sans-serif" } },
        { selector: "node[kind = 'enterprise']", style: { shape: "round-rectangle", "background-color": "#1f4e8c", width: 34 } },
        { selector: "node[kind = 'person']", style: { shape: "ellipse", "background-color": "#15803d" } },
        { selector: "node[kind = 'entry']", style: { shape: "diamond", "background-color": "#b3261e" } },
        { selector: "node[kind = 'value']", style: { shape: "tag", "background-color": "#a16207" } },
        { selector: "node[kind = 'more']", style: { shape: "round-rectangle", "background-color": "#eef2f6",
          "border-color": "#5d6b7a", "border-style": "dashed", "border-width": 1, width: 60, height: 20,
          "text-valign": "center", "text-margin-y": 0, "font-size": 10 } },
        { selector: "node.root", style: { "border-width": 4, "border-color": "#f59e0b" } },
        { selector: "node.bidder", style: { "border-width": 4, "border-color": "#c2410c" } },
        { selector: "node:selected", style: { "overlay-opacity": 0.15, "overlay-color": "#f59e0b" } },
        { selector: "edge", style: {
          width: 1.5, "line-color": "#8a97a6", "target-arrow-color": "#8a97a6", "target-arrow-shape": "triangle",
          "curve-style": "bezier", label: "data(label)", "font-size": 9, color: "#3c4a5a",
          "text-background-color": "#fff", "text-background-opacity": 0.85, "text-background-padding": 1,
          "text-rotation": "autorotate", "font-family": "WenQuanYi Micro Hei, sans-serif" } },
        { selector: "edge[type = 'NAMES'], edge[type = 'NAMED_RESPONSIBLE']", style: { "line-color": "#d98b86", "target-arrow-color": "#d98b86" } },
        { selector: "edge.ended", style: { "line-style": "dashed", "line-color": "#c3cbd4", "target-arrow-color": "#c3cbd4" } },
        { selector: "edge[type = 'MORE']", style: { "line-style": "dotted", "target-arrow-shape": "none", label: "" } },
        { selector: "edge.pair", style: { width: 4, "line-color": "#c2410c", "target-arrow-shape": "none", color: "#c2410c" } },
        { selector: "edge.evidence", style: { "line-color": "#e0a35a", "target-arrow-shape": "none", "line-style": "dashed" } },
      ],
    });
    state.cy.on("tap", "node", (event) => activate(event.target.id()).catch(fail));
    return state.cy;
  }

  // New nodes start on a circle around `near` (the node they were found from), or around the middle, so
  // that the layout starts from a spread and does not pile nodes up where they were created.
  function addNode(kind, key, label, extra, near) {
    const cy = graph();
    const id = nodeId(kind, key);
    if (cy.getElementById(id).empty()) {
      const centre = near && cy.getElementById(near).nonempty() ? cy.getElementById(near).position() : { x: 0, y: 0 };
      const angle = Math.random() * 2 * Math.PI;
      const radius = 80 + Math.random() * 120;
      const position = { x: centre.x + radius * Math.cos(angle), y: centre.y + radius * Math.sin(angle) };
      cy.add({ group: "nodes", data: { id, kind, key, label: label || key, ...extra }, position });
    }
    return cy.getElementById(id);
  }

  function addEdge(id, source, target, data, classes) {
    const cy = graph();
    if (cy.getElementById(id).nonempty()) return;
    cy.add({ group: "edges", data: { id, source, target, ...data }, classes });
  }

  function relayout() {
    const cy = graph();
    cy.layout({ name: "cose", animate: false, randomize: false, nodeRepulsion: () => 400000, idealEdgeLength: () => 100,
      nodeOverlap: 20, componentSpacing: 80, padding: 20 }).run();
    cy.fit(undefined, 30);
    // A handful of nodes would otherwise fill the view at a zoom where labels are huge.
    if (cy.zoom() > 1.2) {
      cy.zoom(1.2);
      cy.center();
    }
    renderNodeList();
    const shown = cy.nodes("[kind != 'more']").length;
    const hidden = cy.nodes("[kind = 'more']").reduce((sum, n) => sum + n.data("count"), 0);
    $("graph-note").textContent = hidden
      ? `图中显示 ${shown} 个节点；另有 ${hidden} 个未显示，点击“还有 N 个”节点可加载。`
      : `图中显示 ${shown} 个节点。点击节点展开其关联方，并在右侧查看详情。`;
    $("export-png").disabled = $("export-csv").disabled = shown === 0;
  }

  async function expand(kind, key, limit) {
    const generation = state.generation;
    const hood = await api(`/v1/graph/${kind}/${encodeURIComponent(key)}?hops=1&limit=${limit}`);
    if (generation !== state.generation) return false;
    const cy = graph();
    const parent = nodeId(kind, key);
    cy.batch(() => {
      for (const n of hood.nodes) addNode(n.kind, n.key, n.label, undefined, parent);
      for (const e of hood.edges) {
        const label = roleZh(e.type, e.position) + (e.ratio !== null && e.ratio !== undefined ? ` ${pct(e.ratio)}` : "");
        addEdge(`e:${e.id}`, nodeId(e.source_kind, e.source), nodeId(e.target_kind, e.target),
          { type: e.type, label, ratio: e.ratio, valid_from: e.valid_from, valid_to: e.valid_to, position: e.position },
          e.valid_to ? "ended" : "");
      }
      cy.getElementById(`more:${parent}`).remove();
      if (hood.more > 0) {
        // Not `parent`: that field would make the node a child drawn inside the expanded node.
        addNode("more", parent, `还有 ${hood.more} 个`, { count: hood.more, of: parent, limit: Math.min(MAX_LIMIT, limit * 4) }, parent);
        addEdge(`e:more:${parent}`, parent, `more:${parent}`, { type: "MORE", label: "" });
      }
    });
    state.expanded.set(parent, limit);
    relayout();
    return true;
  }

  async function openSubject(kind, key) {
    const cy = graph();
    state.generation += 1;
    cy.elements().remove();
    state.expanded.clear();
    if (!(await expand(kind, key, FIRST_LIMIT))) return;
    cy.getElementById(nodeId(kind, key)).addClass("root");
    await activate(nodeId(kind, key));
  }

  // A click on a node (or its button in the list) expands it once and shows its details.
  async function activate(id) {
    const cy = graph();
    const node = cy.getElementById(id);
    if (node.empty()) return;
    const { kind, key } = node.data();
    if (kind === "more") {
      const [pkind, ...rest] = node.data("of").split(":");
      await expand(pkind, rest.join(":"), node.data("limit"));
      return;
    }
    cy.elements().unselect();
    node.select();
    if (kind === "value") return;
    // The panel starts at once (and says "loading"), so it never shows the node clicked before.
    await Promise.all([state.expanded.has(id) ? null : expand(kind, key, FIRST_LIMIT), showPanel(kind, key, node.data("label"))]);
  }

  function renderNodeList() {
    const cy = graph();
    const list = $("node-list");
    // The list is rebuilt; a keyboard user keeps the focus on the node they were on.
    const item = list.contains(document.activeElement) ? document.activeElement.closest("li") : null;
    // A "more" node that has loaded everything is gone: the focus goes to the node it belonged to.
    const focused = item ? [item.dataset.id, item.dataset.of].filter(Boolean) : null;
    list.replaceChildren();
    const nodes = cy.nodes().sort((a, b) => (a.data("kind") === "more") - (b.data("kind") === "more"));
    nodes.forEach((n) => {
      const kind = n.data("kind");
      const text = kind === "more" ? `${n.data("label")}（加载更多）` : `${n.data("label")}（${KIND_ZH[kind] || "线索"}）`;
      list.append(el("li", { "data-kind": kind, "data-key": n.data("key"), "data-id": n.id(), "data-of": n.data("of") },
        el("button", { type: "button", class: "link", onclick: () => activate(n.id()).catch(fail) },
          el("span", { class: `dot ${kind}` }), text,
          state.expanded.has(n.id()) ? el("span", { class: "muted" }, " · 已展开") : null)));
    });
    $("node-count").textContent = String(cy.nodes("[kind != 'more']").length);
    if (focused) {
      const items = [...list.children];
      const again = focused.map((id) => items.find((li) => li.dataset.id === id)).find(Boolean);
      (again || list.querySelector("li"))?.querySelector("button")?.focus();
    }
  }

  // -- the side panel ----------------------------------------------------------------------------------

  function section(title, ...body) {
    return el("section", { class: "panel-section" }, el("h3", {}, title), ...body);
  }

  function pathText(path) {
    const names = new Map(path.nodes.map((n) => [n.key, n.name || n.key]));
    return path.edges.map((e) => `${names.get(e.source)} —${roleZh(e.type, e.position)}${e.valid_from ? `（${e.valid_from} 起${e.valid_to ? `，${e.valid_to} 止` : ""}）` : ""}→ ${names.get(e.target)}`).join("；");
  }

  function reasonItem(reason) {
    const s = reason.entry;
    const rule = reason.rule;
    const via = rule.via === "role" ? `任职：${roleZh(rule.role, rule.position)}${rule.reference_date ? `（以 ${rule.reference_date} 为准）` : ""}` : VIA_ZH[rule.via];
    return el("li", { class: `reason kind-${s.kind}` },
      el("strong", {}, s.list_name), ` · ${s.authority} · ${s.decision_number} · 列入 ${day(s.listed_on)} · ${LABELS.states[s.state] || s.state}`,
      el("div", { class: "muted" }, `依据：${via}；路径：${pathText(reason.path)}`));
  }

  function creditSection(record) {
    const check = record.check;
    const items = [];
    const status = check.restricted
      ? el("p", { class: "flag black" }, `受联合惩戒：${check.reasons.length} 条在效名单记录，${check.measures.length} 项措施`)
      : el("p", { class: "flag clear" }, "无在效的失信记录");
    items.push(status);
    if (check.eligible) items.push(el("p", { class: "flag red" }, "符合绿色通道条件"));
    if (check.reasons.length) items.push(el("ul", { class: "reasons" }, check.reasons.map(reasonItem)));
    if (check.suspended.length) items.push(el("p", {}, "异议核查中（措施暂停）："), el("ul", { class: "reasons" }, check.suspended.map(reasonItem)));
    if (check.measures.length) items.push(el("details", {}, el("summary", {}, `正在实施的措施（${check.measures.length}）`),
      el("ul", {}, check.measures.map((m) => el("li", {}, `${m.name_zh}（${m.legal_basis}）`)))));
    if (check.not_counting.length) items.push(el("p", { class: "muted" }, `另有 ${check.not_counting.length} 条记录已修复、到期或撤销。`));
    return section("信用记录", ...items);
  }

  function affectedSection(result) {
    if (!result.affected.length) return section("还须限制的对象", el("p", {}, "没有需要一并限制的人员或组织。"));
    return section(`还须限制的对象（${result.affected.length}）`,
      el("ul", { class: "affected" }, result.affected.map((a) => {
        const roles = [...new Set(a.reasons.map((r) => (r.rule.via === "role" ? roleZh(r.rule.role, r.rule.position) : VIA_ZH[r.rule.via])))];
        return el("li", { "data-key": a.subject.key },
          el("button", { type: "button", class: "link", onclick: () => focusSubject(a.subject).catch(fail) }, a.subject.name || a.subject.key),
          a.subject.id_masked ? el("span", { class: "muted code" }, ` ${a.subject.id_masked}`) : null,
          ` · ${roles.join("、")} · ${a.measures.length} 项措施`);
      })));
  }

  async function focusSubject(subject) {
    const id = nodeId(subject.kind, subject.key);
    if (graph().getElementById(id).empty()) {
      addNode(subject.kind, subject.key, subject.name);
      relayout();
    }
    await activate(id);
  }

  function multiSection(found) {
    if (found.domains.length < 2) {
      const one = found.domains.length ? `仅 ${domainsZh(found.domains)} 一个领域。` : "";
      return section("多名单", el("p", {}, `未被两个及以上领域同时列入失信名单。${one}`));
    }
    return section("多名单", el("p", { class: "flag black" }, `同时被 ${found.domains.length} 个领域列入：${domainsZh(found.domains)}`),
      el("ul", { class: "reasons" }, found.reasons.map(reasonItem)));
  }

  // The equity tree: each path runs from an owner down to the enterprise; read backwards it is a branch
  // of the tree rooted at the subject. For holdings ("down") the paths start at the subject already.
  function equityTree(result) {
    const root = { key: result.subject.key, name: result.subject.name, children: new Map() };
    const stakeOf = new Map(result.stakes.map((s) => [s.subject.key, s]));
    for (const stake of result.stakes) {
      for (const path of stake.paths) {
        const nodes = result.direction === "up" ? [...path.nodes].reverse() : path.nodes;
        const edges = result.direction === "up" ? [...path.edges].reverse() : path.edges;
        let at = root;
        nodes.slice(1).forEach((n, i) => {
          if (!at.children.has(n.key)) at.children.set(n.key, { key: n.key, name: n.name || n.key, kind: n.kind, ratio: edges[i].ratio, children: new Map() });
          at = at.children.get(n.key);
        });
      }
    }
    const render = (node) => el("ul", {}, [...node.children.values()].map((c) => {
      const stake = stakeOf.get(c.key);
      return el("li", { "data-key": c.key },
        el("span", { class: `dot ${c.kind}` }), c.name, el("span", { class: "muted" }, ` 直接 ${pct(c.ratio)}${stake ? ` · 累计 ${pct(stake.share)}` : ""}`),
        c.children.size ? render(c) : null);
    }));
    if (!result.stakes.length) return el("p", {}, result.direction === "up" ? "没有登记的股东。" : "没有对外持股。");
    const tree = el("div", { class: "tree" }, el("span", { class: "muted" }, result.subject.name || result.subject.key), render(root));
    if (!result.complete) tree.append(el("p", { class: "muted" }, "路径过多，仅显示一部分。"));
    if (result.unknown_ratios) tree.append(el("p", { class: "muted" }, `${result.unknown_ratios} 处持股比例未知。`));
    return tree;
  }

  // One section per call: a call that fails says so in its place, and the other sections still show.
  function settled(result, title, render) {
    if (result.status === "fulfilled") return render(result.value);
    const err = result.reason;
    if (err instanceof UiError && err.kind === "key") throw err;
    return section(title, el("p", { class: "section-error", role: "alert" }, err instanceof UiError ? err.message : `页面出错：${err}`));
  }

  function entrySection(e) {
    return section("记录", el("dl", { class: "facts" },
      el("dt", {}, "认定部门"), el("dd", {}, e.authority), el("dt", {}, "领域"), el("dd", {}, domainsZh([e.domain])),
      el("dt", {}, "失信行为"), el("dd", {}, e.conduct || "—"), el("dt", {}, "行为日期"), el("dd", {}, day(e.conduct_date)),
      el("dt", {}, "列入日期"), el("dd", {}, day(e.listed_on)), el("dt", {}, "有效期至"), el("dd", {}, day(e.expires_on)),
      el("dt", {}, "状态"), el("dd", {}, LABELS.statuses[e.status] || e.status)));
  }

  async function showPanel(kind, key, label) {
    // Answers can arrive out of order: only the newest request may fill the panel.
    const request = ++state.panelRequest;
    const panel = $("panel");
    delete panel.dataset.key;
    panel.replaceChildren(el("p", { class: "muted" }, "正在加载…"));
    const enc = encodeURIComponent(key);
    const parts = [];
    if (kind === "entry") {
      const [entry, affected] = await Promise.allSettled([api(`/v1/entries/${enc}`), api(`/v1/entries/${enc}/affected`)]);
      if (request !== state.panelRequest) return;
      const e = entry.status === "fulfilled" ? entry.value.entry : null;
      parts.push(el("h2", {}, e ? e.decision_number : label),
        el("p", { class: "muted" }, `名单记录${e ? " · " + (LABELS.kinds[e.kind] || e.kind) : ""}`),
        settled(entry, "记录", (v) => entrySection(v.entry)),
        settled(affected, "还须限制的对象", affectedSection));
    } else {
      const title = kind === "enterprise" ? "股权穿透" : "对外投资";
      const [rec, eq, aff, multi] = await Promise.allSettled([
        api(kind === "enterprise" ? `/v1/enterprises/${enc}/credit-record` : `/v1/persons/${enc}/credit-record`),
        api(kind === "enterprise" ? `/v1/investigations/equity/${enc}` : `/v1/investigations/holdings/person/${enc}`),
        kind === "enterprise" ? api(`/v1/enterprises/${enc}/affected`) : Promise.resolve(null),
        api(`/v1/multi-list/${kind}/${enc}`),
      ]);
      if (request !== state.panelRequest) return;
      const subject = rec.status === "fulfilled" ? rec.value.check.subject : { name: label };
      parts.push(el("h2", {}, subject.name || label),
        el("p", { class: "muted code" }, `${KIND_ZH[kind]} · ${kind === "enterprise" ? key : subject.id_masked || (rec.status === "fulfilled" ? "身份证号未登记" : "")}`),
        settled(rec, "信用记录", creditSection));
      if (kind === "enterprise") parts.push(settled(aff, "还须限制的对象", affectedSection));
      parts.push(settled(multi, "多名单", multiSection), settled(eq, title, (v) => section(title, equityTree(v))));
    }
    panel.replaceChildren(...parts);
    panel.dataset.key = key; // which subject the panel shows, once it is complete
  }

  // -- bidders ----------------------------------------------------------------------------------------------

  $("bidder-form").addEventListener("submit", (event) => {
    event.preventDefault();
    bidders().catch(fail);
  });

  async function bidders() {
    const usccs = $("bidder-usccs").value.split(/[\s,，;；、]+/).map((s) => s.trim()).filter(Boolean);
    if (usccs.length < 2) throw new UiError("请至少输入两个投标人的统一社会信用代码。", "input");
    say("正在分析投标人关联…");
    const session = state.session;
    const report = await api("/v1/investigations/bidders", { usccs, hops: Number($("bidder-hops").value) });
    if (session !== state.session) return;
    const out = $("bidder-results");
    out.replaceChildren();
    const names = new Map(report.bidders.map((b) => [b.key, b.name || b.key]));
    if (!report.pairs.length) {
      out.append(el("p", { role: "status" }, `${report.bidders.length} 个投标人之间未发现关联。`));
    } else {
      out.append(el("p", { role: "status" }, `发现 ${report.pairs.length} 对关联投标人（另有 ${report.unlinked_pairs} 对无关联）。`),
        el("table", { class: "pairs" },
          el("thead", {}, el("tr", {}, ["投标人甲", "投标人乙", "关联强度", "证据"].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, report.pairs.map((p) => el("tr", { "data-a": p.a.key, "data-b": p.b.key },
            el("td", {}, names.get(p.a.key)), el("td", {}, names.get(p.b.key)),
            el("td", {}, `${LEVEL_ZH[p.level]}（${p.score.toFixed(2)}）`),
            el("td", {}, el("ul", {}, p.evidence.map((e) => el("li", {}, evidenceText(e, names))))))))));
    }
    drawBidders(report);
    say("");
  }

  // Evidence in words, from its fields (the API's `detail` is for logs): who or what links the two
  // bidders, and how it is tied to each.
  function evidenceText(e, names) {
    const ties = (e.ties || []).map((t) => {
      const parts = t.roles.map((r) => r.role_zh + (r.position && r.position !== r.role_zh ? `（${r.position}）` : ""));
      if (t.share !== null && t.share !== undefined) parts.push(`持股 ${pct(t.share)}`);
      if (t.controller) parts.push("实际控制人");
      return `${names.get(t.bidder) || t.bidder}${parts.length ? "：" + parts.join("、") : ""}`;
    });
    const who = e.subject ? e.subject.name || e.subject.key : e.value || "";
    const head = `${EVIDENCE_ZH[e.kind] || e.kind}${who ? "：" + who : ""}`;
    return ties.length ? `${head}（${ties.join("；")}）` : head;
  }

  // Bidders, the pairs found and the evidence joining them, drawn as their own graph.
  function drawBidders(report) {
    const cy = graph();
    state.generation += 1;
    cy.elements().remove();
    state.expanded.clear();
    cy.batch(() => {
      for (const b of report.bidders) addNode("enterprise", b.key, b.name).addClass("bidder");
      report.pairs.forEach((p, i) => {
        const a = nodeId("enterprise", p.a.key);
        const b = nodeId("enterprise", p.b.key);
        addEdge(`pair:${i}`, a, b, { type: "PAIR", label: `关联${LEVEL_ZH[p.level]} ${p.score.toFixed(2)}` }, "pair");
        p.evidence.forEach((e, j) => {
          let via;
          if (e.subject) via = addNode(e.subject.kind, e.subject.key, e.subject.name).id();
          else via = addNode("value", `${e.kind}:${e.value || e.detail}`, `${EVIDENCE_ZH[e.kind] || e.kind} ${e.value || ""}`.trim()).id();
          for (const end of [a, b]) addEdge(`ev:${i}:${j}:${end}`, via, end, { type: "EVIDENCE", label: EVIDENCE_ZH[e.kind] || e.kind }, "evidence");
        });
      });
    });
    relayout();
  }

  // -- export ---------------------------------------------------------------------------------------------

  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  const stamp = () => new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "");

  $("export-png").addEventListener("click", () => {
    const blob = graph().png({ output: "blob", bg: "#ffffff", full: true, scale: 2 });
    download(blob, `credit-graph-${stamp()}.png`);
  });

  function csvCell(value) {
    let text = value === null || value === undefined ? "" : String(value);
    // A cell a spreadsheet would run as a formula is kept as text.
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }

  $("export-csv").addEventListener("click", () => {
    const cy = graph();
    const rows = [["record", "kind", "key", "label", "source", "target", "relation", "ratio", "valid_from", "valid_to"]];
    cy.nodes("[kind != 'more']").forEach((n) => rows.push(["node", n.data("kind"), n.data("key"), n.data("label"), "", "", "", "", "", ""]));
    cy.edges("[type != 'MORE']").forEach((e) => {
      const s = e.source().data();
      const t = e.target().data();
      rows.push(["edge", e.data("type"), e.id(), e.data("label"), s.key, t.key, roleZh(e.data("type"), e.data("position")),
        e.data("ratio") ?? "", e.data("valid_from") ?? "", e.data("valid_to") ?? ""]);
    });
    // A byte-order mark so that spreadsheet programs read the Chinese text as UTF-8.
    const text = "\ufeff" + rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
    download(new Blob([text], { type: "text/csv;charset=utf-8" }), `credit-graph-${stamp()}.csv`);
  });

  // -- start ------------------------------------------------------------------------------------------------

  if (state.key) enter(state.key).catch(fail);
  else showKeyPanel();
})();
