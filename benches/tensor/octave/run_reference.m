1; % run_reference.m: an Octave script (not a function file)
%
% Runs one method of the authors' MATLAB toolbox (Tomioka's ryotat/tensor, kept OUTSIDE this
% repository) on a problem directory in the format of benches/tensor/README.md and prints one
% JSON line on stdout. The solver's own progress lines are captured and sent to stderr.
%
%   octave --no-gui --quiet --no-init-file benches/tensor/octave/run_reference.m \
%       --data DIR --method constraint|mixture|matrix --lambda L --tol T \
%       [--mode k] [--maxiter n] [--ref PATH] [--save-x FILE] [--rng-seed s]
%
%   --ref PATH    where the toolbox is checked out; default: environment variable TSR_REF_PATH
%   --mode k      1-based mode whose unfolding matrix_adm completes (method matrix; default 1)
%   --maxiter n   passed on only when given (reference default 2000)
%   --save-x FILE write the estimate as raw little-endian f64, column-major
%   --rng-seed s  seed rand/randn (legacy and twister) first; unseeded, Octave starts from a
%                 different state each session, and the randomised pcaspec.m (and pca.m for
%                 wide enough unfoldings) then makes the iteration count vary slightly
%
% Only the solver call is timed (tic/toc). All other options are the reference defaults.
% BLAS threads: set OPENBLAS_NUM_THREADS in the environment.

function s = jnum(x)
  if isnan(x)
    s = 'null';
  elseif isinf(x)
    if x > 0, s = '1e999'; else, s = '-1e999'; end
  else
    s = sprintf('%.17g', x);
  end
end

% ---- arguments -----------------------------------------------------------------------------
args = argv();
opts = struct();
ii = 1;
while ii <= numel(args)
  a = args{ii};
  if numel(a) < 3 || ~strcmp(a(1:2), '--') || ii == numel(args)
    error('run_reference: expected --name value pairs, got "%s"', a);
  end
  opts.(strrep(a(3:end), '-', '_')) = args{ii+1};
  ii = ii + 2;
end
if ~isfield(opts, 'data')
  error('run_reference: --data DIR is required');
end
method = 'constraint'; if isfield(opts, 'method'), method = opts.method; end
lambda = 0;            if isfield(opts, 'lambda'), lambda = str2double(opts.lambda); end
tol = 1e-3;            if isfield(opts, 'tol'), tol = str2double(opts.tol); end
mode = 1;              if isfield(opts, 'mode'), mode = str2double(opts.mode); end
ref = getenv('TSR_REF_PATH');
if isfield(opts, 'ref'), ref = opts.ref; end
if isempty(ref) || ~exist(fullfile(ref, 'tensorconst_adm.m'), 'file')
  error('run_reference: reference toolbox not found; pass --ref PATH or set TSR_REF_PATH (got "%s")', ref);
end
addpath(ref);
addpath(fileparts(mfilename('fullpathext')));   % tsr_read_problem, tsr_solve

solver_opts = {'tol', tol};
if isfield(opts, 'maxiter')
  solver_opts = [solver_opts, {'maxiter', str2double(opts.maxiter)}];
end

if isfield(opts, 'rng_seed')
  s = str2double(opts.rng_seed);
  rand('seed', s); randn('seed', s); rand('twister', s); randn('twister', s);
end

% ---- solve (tsr_solve times only the solver call) -------------------------------------------
P = tsr_read_problem(opts.data);
R = tsr_solve(P, method, lambda, solver_opts, mode);
fprintf(2, '%s', R.log);

% ---- report ----------------------------------------------------------------------------------
d = R.X(:) - P.truth(:);
rel_error = norm(d) / norm(P.truth(:));
test_rel_error = norm(d(P.test)) / norm(P.truth(P.test));
if isfield(opts, 'save_x')
  fid = fopen(opts.save_x, 'w', 'ieee-le');
  fwrite(fid, R.X(:), 'double');
  fclose(fid);
end
if strcmp(method, 'matrix'), mode_json = sprintf('%d', mode); else, mode_json = 'null'; end
blas_threads = getenv('OPENBLAS_NUM_THREADS');
if isempty(blas_threads), blas_threads = 'unset'; end
line = sprintf(['{"impl":"octave-ref","method":"%s","lambda":%s,"tol":%s,"iters":%d,' ...
                '"seconds":%s,"cpu_seconds":%s,"rel_error":%s,"test_rel_error":%s,"final_res":%s,' ...
                '"final_fval":%s,"eta":%s,"mode":%s,"blas_threads":"%s","octave":"%s"}'], ...
               method, jnum(lambda), jnum(tol), R.iters, jnum(R.seconds), jnum(R.cpu_seconds), jnum(rel_error), ...
               jnum(test_rel_error), jnum(R.res(end)), jnum(R.fval(end)), jnum(R.eta), mode_json, ...
               blas_threads, OCTAVE_VERSION);
fprintf(1, '%s\n', line);
