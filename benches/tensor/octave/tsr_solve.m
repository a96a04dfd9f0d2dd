% tsr_solve - run one reference solver (ryotat/tensor must be on the path) on a problem
%
%   R = tsr_solve(P, method, lambda, solver_opts, mode)
%
% method: 'constraint' (tensorconst_adm), 'mixture' (tensormix_adm) or 'matrix'
% (matrix_adm on the 1-based mode `mode`, unfolded as the reference's flatten.m does:
% rows = mode k, columns = modes k+1..K,1..k-1 with the first of them fastest).
% solver_opts: name/value cell passed on unchanged (e.g. {'tol',1e-3}); everything else is
% the reference default. Only the solver call is timed.
%
% R.X (estimate, size sz), R.fval, R.res (histories, one entry per iteration), R.iters,
% R.seconds (wall), R.cpu_seconds (process CPU time over the same call), R.eta (the default
% eta the solver computes for itself), R.log (its printout),
% R.Zparts (mixture only: latent components folded back to tensors, divided by K so that
% they sum to X).

function R = tsr_solve(P, method, lambda, solver_opts, mode)
  if nargin < 5, mode = 1; end
  sz = P.sz; I = P.I; yy = P.yy; N = prod(sz); K = numel(sz);
  switch method
    case {'constraint', 'matrix'}
      R.eta = 1 / (10 * std(yy));
    case 'mixture'
      R.eta = 10 * std(yy);
    otherwise
      error('tsr_solve: unknown method "%s"', method);
  end
  % softth's pca.m does `svd(A,'econ'); error(lastwarn)` and falls back to QR + SVD when a
  % warning is pending, so start from a clean lastwarn as a fresh session would.
  lastwarn('');
  R.Zparts = {};
  switch method
    case 'constraint'
      c0 = cputime; tic;
      R.log = evalc('[X, Z, A, fval, res] = tensorconst_adm(zeros(sz), I, yy, lambda, solver_opts{:});');
      R.seconds = toc; R.cpu_seconds = cputime - c0;
    case 'mixture'
      c0 = cputime; tic;
      R.log = evalc('[X, Z, A, fval, res] = tensormix_adm(zeros(sz), I, yy, lambda, solver_opts{:});');
      R.seconds = toc; R.cpu_seconds = cputime - c0;
      for k = 1:K
        R.Zparts{k} = flatten_adj(Z{k} / K, sz, k);   % the reference returns Z{k} multiplied by K
      end
    case 'matrix'
      perm = [mode:K, 1:mode-1];
      szp = sz(perm);
      Ip = I(perm);
      J = sub2ind([szp(2:end) 1], Ip{2:end});
      c0 = cputime; tic;
      R.log = evalc('[Xm, Zm, A, fval, res] = matrix_adm(zeros(szp(1), N / szp(1)), {Ip{1}, J}, yy, lambda, solver_opts{:});');
      R.seconds = toc; R.cpu_seconds = cputime - c0;
      X = flatten_adj(Xm, sz, mode);
  end
  R.X = X;
  R.fval = fval;
  R.res = res;
  R.iters = numel(res);
end
