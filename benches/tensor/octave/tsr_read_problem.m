% tsr_read_problem - read a problem directory (format: benches/tensor/README.md)
%
%   P = tsr_read_problem(dir)
%
% P.sz (1 x K), P.truth (tensor of size sz), P.idx (1-based linear indices, column),
% P.yy (observed values, column), P.I (1 x K cell of subscript columns for the reference
% solvers), P.test (N x 1 logical, true where unobserved), P.meta (decoded meta.json).

function P = tsr_read_problem(dir)
  meta = jsondecode(fileread(fullfile(dir, 'meta.json')));
  sz = double(meta.shape(:)');
  N = prod(sz);
  truth = read_raw(fullfile(dir, 'truth.f64'), 'double');
  idx = read_raw(fullfile(dir, 'obs_idx.i64'), 'int64=>double') + 1;
  yy = read_raw(fullfile(dir, 'obs_val.f64'), 'double');
  if numel(truth) ~= N || numel(idx) ~= numel(yy)
    error('tsr_read_problem: file sizes in %s do not match meta.json', dir);
  end
  if any(diff(idx) <= 0) || idx(1) < 1 || idx(end) > N
    error('tsr_read_problem: obs_idx.i64 must be sorted, unique and within 0..N-1');
  end
  if any(yy == 0)
    fprintf(2, 'tsr_read_problem: warning: %d observed values are exactly 0 (the reference treats them as missing)\n', ...
            sum(yy == 0));
  end
  P.meta = meta;
  P.sz = sz;
  P.truth = reshape(truth, [sz 1]);
  P.idx = idx;
  P.yy = yy;
  P.I = cell(1, numel(sz));
  [P.I{:}] = ind2sub(sz, idx);
  P.test = true(N, 1);
  P.test(idx) = false;
end

function x = read_raw(path, prec)
  fid = fopen(path, 'r', 'ieee-le');
  if fid < 0
    error('tsr_read_problem: cannot open %s', path);
  end
  x = fread(fid, Inf, prec);
  fclose(fid);
end
