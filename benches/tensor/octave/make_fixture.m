1; % make_fixture.m: an Octave script (not a function file)
%
% Runs the authors' solvers (ryotat/tensor, kept OUTSIDE this repository) to a tight duality
% gap on the small problem in DIR (a problem directory, benches/tensor/README.md) and writes
% their estimates next to it: for each run NAME, NAME_X.f64 (raw little-endian f64,
% column-major, the shape of meta.json) and NAME.json (options, iteration count, final fval
% and duality gap). Mixture runs also write NAME_W1.f64 .. NAME_WK.f64, the latent components.
%
%   octave --no-gui --quiet --no-init-file benches/tensor/octave/make_fixture.m \
%       --data core/tests/fixtures/tensor [--ref PATH] [--tol 1e-10] [--maxiter 1000000] \
%       [--out DIR] [--rng-seed s]
%
% --out defaults to --data. --rng-seed seeds Octave's rand/randn before each run; the outputs
% must not depend on it (at this size pca.m and pcaspec.m take their dense-SVD branch).

function s = jnum(x)
  if isnan(x)
    s = 'null';
  elseif isinf(x)
    if x > 0, s = '1e999'; else, s = '-1e999'; end
  elseif x == round(x) && abs(x) < 1e15
    s = sprintf('%d', x);
  else
    s = sprintf('%.17g', x);
  end
end

function s = jvec(v)
  parts = arrayfun(@jnum, v(:)', 'UniformOutput', false);
  s = ['[' strjoin(parts, ',') ']'];
end

function write_f64(path, x)
  fid = fopen(path, 'w', 'ieee-le');
  fwrite(fid, x(:), 'double');
  fclose(fid);
end

args = argv();
opts = struct();
for ii = 1:2:numel(args)
  opts.(strrep(args{ii}(3:end), '-', '_')) = args{ii+1};
end
data = opts.data;
out = data;          if isfield(opts, 'out'), out = opts.out; end
tol = 1e-10;         if isfield(opts, 'tol'), tol = str2double(opts.tol); end
maxiter = 1000000;   if isfield(opts, 'maxiter'), maxiter = str2double(opts.maxiter); end
rng_seed = 0;        if isfield(opts, 'rng_seed'), rng_seed = str2double(opts.rng_seed); end
ref = getenv('TSR_REF_PATH');
if isfield(opts, 'ref'), ref = opts.ref; end
if isempty(ref) || ~exist(fullfile(ref, 'tensorconst_adm.m'), 'file')
  error('make_fixture: reference toolbox not found; pass --ref PATH or set TSR_REF_PATH');
end
addpath(ref);
addpath(fileparts(mfilename('fullpathext')));
if ~exist(out, 'dir'), mkdir(out); end

P = tsr_read_problem(data);
K = numel(P.sz);

%        name                 method        lambda  mode  solver
runs = {'constraint_lam0',   'constraint', 0,      1,    'tensorconst_adm';
        'constraint_lam0p1', 'constraint', 0.1,    1,    'tensorconst_adm';
        'mixture_lam0',      'mixture',    0,      1,    'tensormix_adm';
        'mixture_lam0p1',    'mixture',    0.1,    1,    'tensormix_adm';
        'matrix1_lam0',      'matrix',     0,      1,    'matrix_adm'};

for r = 1:size(runs, 1)
  [name, method, lambda, mode, solver] = runs{r, :};
  rand('seed', rng_seed); randn('seed', rng_seed);
  rand('twister', rng_seed); randn('twister', rng_seed);
  R = tsr_solve(P, method, lambda, {'tol', tol, 'maxiter', maxiter}, mode);
  write_f64(fullfile(out, [name '_X.f64']), R.X);
  files = {[name '_X.f64']};
  for k = 1:numel(R.Zparts)
    write_f64(fullfile(out, sprintf('%s_W%d.f64', name, k)), R.Zparts{k});
    files{end+1} = sprintf('%s_W%d.f64', name, k);
  end
  d = R.X(:) - P.truth(:);
  if strcmp(method, 'mixture')
    eta_rule = 'yfact*std(y), yfact=10, sample std (N-1)';
  else
    eta_rule = '1/(yfact*std(y)), yfact=10, sample std (N-1)';
  end
  if strcmp(method, 'matrix')
    gamma = 1; mode_json = jnum(mode);
  else
    gamma = ones(1, K); mode_json = 'null';
  end
  fields = { ...
    'name', ['"' name '"']; 'method', ['"' method '"']; 'solver', ['"' solver '"']; ...
    'lambda', jnum(lambda); 'tol', jnum(tol); 'maxiter', jnum(maxiter); 'mode', mode_json; ...
    'eta', jnum(R.eta); 'eta_rule', ['"' eta_rule '"']; 'gamma', jvec(gamma); 'yfact', '10'; ...
    'iters', jnum(R.iters); 'final_fval', jnum(R.fval(end)); 'final_res', jnum(R.res(end)); ...
    'converged', mat2str(R.res(end) < tol); ...
    'rel_error', jnum(norm(d) / norm(P.truth(:))); ...
    'test_rel_error', jnum(norm(d(P.test)) / norm(P.truth(P.test))); ...
    'shape', jvec(P.sz); 'files', ['["' strjoin(files, '","') '"]']; ...
    'reference', '"github.com/ryotat/tensor efa2b993a433960f99bf336d01d98f48ae49c0db"'; ...
    'octave', ['"' OCTAVE_VERSION '"']};
  body = strjoin(cellfun(@(k, v) sprintf('  "%s": %s', k, v), fields(:, 1), fields(:, 2), ...
                         'UniformOutput', false), sprintf(',\n'));
  fid = fopen(fullfile(out, [name '.json']), 'w');
  fprintf(fid, '{\n%s\n}\n', body);
  fclose(fid);
  fprintf(1, '%s: iters=%d fval=%.17g res=%.3g seconds=%.2f\n', name, R.iters, R.fval(end), ...
          R.res(end), R.seconds);
end
