-- Headless Neovim (0.7) as a real LSP client of `gradlens lsp`: wait for the diagnostic, apply
-- the preferred quick fix, write the file, wait for the re-published (empty) diagnostics.
-- Writes what it saw to $GRADLENS_E2E_RESULT and exits non-zero on failure.
local result = { ok = false }
local function main()
  local bufnr = vim.api.nvim_get_current_buf()
  local raw = {}
  local id = vim.lsp.start_client({
    name = 'gradlens',
    cmd = { os.getenv('GRADLENS_NODE'), os.getenv('GRADLENS_CLI'), 'lsp', '--stdio' },
    root_dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':h'),
    handlers = { ['textDocument/publishDiagnostics'] = function(err, p, ctx, cfg)
      raw[p.uri] = p.diagnostics
      return vim.lsp.handlers['textDocument/publishDiagnostics'](err, p, ctx, cfg)
    end },
  })
  assert(id and vim.lsp.buf_attach_client(bufnr, id), 'client did not attach')
  assert(vim.wait(10000, function() local c = vim.lsp.get_client_by_id(id); return c and c.initialized end, 20), 'not initialized')
  local uri = vim.uri_from_bufnr(bufnr)
  assert(vim.wait(10000, function() return raw[uri] ~= nil and #raw[uri] > 0 end, 20), 'no diagnostics')
  local d = raw[uri][1]
  result.diagnostic = { code = d.code, source = d.source, line = d.range.start.line, message = d.message }
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
  vim.lsp.util.apply_workspace_edit(preferred.edit, vim.lsp.get_client_by_id(id).offset_encoding)
  vim.api.nvim_buf_call(bufnr, function() vim.cmd('silent write') end)
  assert(vim.wait(10000, function() return raw[uri] ~= nil and #raw[uri] == 0 end, 20), 'diagnostic not cleared after the fix')
  result.ok = true
end
local ok, err = xpcall(main, debug.traceback)
if not ok then result.error = tostring(err) end
local f = io.open(os.getenv('GRADLENS_E2E_RESULT'), 'w')
f:write(vim.fn.json_encode(result))
f:close()
if result.ok then vim.cmd('qall!') else vim.cmd('cquit 1') end
