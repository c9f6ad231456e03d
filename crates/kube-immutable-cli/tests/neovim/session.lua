-- A user's session in Neovim 0.7 (Debian's), headless, driven by
-- tests/neovim.rs: open a manifest with `kube-immutable lsp` attached
-- through Neovim's own LSP client, wait for the diagnostics, apply the
-- quick fix of `privileged` and the fix-all action, write the buffer.
--
-- Environment: KI_BIN (the server binary), KI_FILE (the manifest, a copy),
-- KI_OUT (where the results go, JSON). Neovim 0.7 has no `vim.lsp.config`
-- nor `vim.lsp.start`: `vim.lsp.start_client` and `buf_attach_client`.

local bin, file, out = os.getenv("KI_BIN"), os.getenv("KI_FILE"), os.getenv("KI_OUT")
local result = {}
local TIMEOUT = 20000

local function finish(err)
  if err then
    result.error = tostring(err)
  end
  local f = assert(io.open(out, "w"))
  f:write(vim.fn.json_encode(result))
  f:close()
  if err then
    vim.cmd("cquit 1")
  else
    vim.cmd("qall!")
  end
end

local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start_client({
    name = "kube-immutable",
    cmd = { bin, "lsp" },
    root_dir = vim.fn.fnamemodify(file, ":h"),
  })
  assert(client_id, "the language client did not start")
  assert(vim.lsp.buf_attach_client(buf, client_id), "not attached")
  local client = vim.lsp.get_client_by_id(client_id)

  local function code(d)
    return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
  end
  local function has(rule)
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if code(d) == rule then
        return d
      end
    end
  end
  local function snapshot()
    local list = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      table.insert(list, { rule = code(d), line = d.lnum + 1, col = d.col, severity = d.severity })
    end
    table.sort(list, function(a, b)
      if a.line ~= b.line then
        return a.line < b.line
      end
      return a.rule < b.rule
    end)
    return list
  end
  local function actions(line, col, only)
    local params = {
      textDocument = { uri = vim.uri_from_bufnr(buf) },
      range = { start = { line = line, character = col }, ["end"] = { line = line, character = col } },
      context = { diagnostics = {}, only = only },
    }
    local answers = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, TIMEOUT)
    assert(answers and answers[client_id], "no answer to textDocument/codeAction")
    assert(not answers[client_id].error, vim.inspect(answers[client_id].error))
    return answers[client_id].result or {}
  end

  assert(vim.wait(TIMEOUT, function() return has("privileged") ~= nil end, 20), "no diagnostics")
  result.first = snapshot()

  local privileged = has("privileged")
  local preferred
  for _, a in ipairs(actions(privileged.lnum, privileged.col, { "quickfix" })) do
    if a.isPreferred then
      preferred = a
    end
  end
  assert(preferred, "no preferred quick fix on privileged")
  result.quickfix_title = preferred.title
  vim.lsp.util.apply_workspace_edit(preferred.edit, client.offset_encoding)
  assert(vim.wait(TIMEOUT, function() return has("privileged") == nil end, 20),
    "privileged still reported after its quick fix")
  result.after_quickfix = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n"
  result.second = snapshot()

  local all = actions(0, 0, { "source.fixAll.kube-immutable" })
  assert(#all == 1, "fix all: " .. #all .. " actions")
  result.fix_all_title = all[1].title
  vim.lsp.util.apply_workspace_edit(all[1].edit, client.offset_encoding)
  vim.cmd("silent write")
  assert(vim.wait(TIMEOUT, function() return has("writable-root-filesystem") == nil end, 20),
    "writable-root-filesystem still reported after fix all")
  result.final = snapshot()
end)

finish(not ok and err or nil)
