-- Headless Neovim (0.7) as a real LSP client of `gradlens lsp`. The client is started by the
-- README's configuration snippet (loaded as init.lua by the test); this driver waits for it to
-- attach, for the diagnostic, applies the preferred quick fix, writes the file and waits for the
-- re-published (empty) diagnostics. Writes what it saw to $GRADLENS_E2E_RESULT; non-zero on failure.
local result = { ok = false }
local function main()
  local bufnr = vim.api.nvim_get_current_buf()
  local client
  assert(vim.wait(10000, function()
    for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do
      if c.name == 'gradlens' and c.initialized then client = c end
    end
    return client ~= nil
  end, 20), 'the README snippet did not start and attach a "gradlens" client')
  assert(vim.wait(10000, function() return #vim.diagnostic.get(bufnr) > 0 end, 20), 'no diagnostics')
  local shown = vim.diagnostic.get(bufnr)[1]
  -- Back to the LSP shape (with the server's `data`), as Neovim sends it in a code action context.
  local d = vim.lsp.diagnostic.get_line_diagnostics(bufnr, shown.lnum)[1]
  result.diagnostic = { code = d.code, source = d.source, line = d.range.start.line, message = d.message, hasData = d.data ~= nil }
  local res = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', {
    textDocument = vim.lsp.util.make_text_document_params(bufnr), range = d.range,
    context = { diagnostics = { d }, only = { 'quickfix' } } }, 5000)
  assert(res, 'no code action response')
  local _, r = next(res)
  local actions = r.result or {}
  result.titles = {}
  local preferred
  for _, a in ipairs(actions) do
    table.insert(result.titles, a.title)
    if a.isPreferred then preferred = a end
  end
  assert(preferred, 'no preferred action')
  result.applied = preferred.title
  vim.lsp.util.apply_workspace_edit(preferred.edit, client.offset_encoding)
  vim.api.nvim_buf_call(bufnr, function() vim.cmd('silent write') end)
  assert(vim.wait(10000, function() return #vim.diagnostic.get(bufnr) == 0 end, 20), 'diagnostic not cleared after the fix')
  result.ok = true
end
local ok, err = xpcall(main, debug.traceback)
if not ok then result.error = tostring(err) end
local f = io.open(os.getenv('GRADLENS_E2E_RESULT'), 'w')
f:write(vim.fn.json_encode(result))
f:close()
if result.ok then vim.cmd('qall!') else vim.cmd('cquit 1') end
