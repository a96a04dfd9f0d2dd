! Tessera for Fortran 2008: module tessera, the idiomatic layer over module tessera_c (the
! generated 1:1 C interface).
!
!   use tessera
!   type(tsr_ball) :: ball
!   real(c_double) :: x(d, n), y(d, n), z(d, n)     ! one point per COLUMN
!   call ball%init(1.0_c_double)
!   call ball%mobius_add(x, y, z)                   ! or (..., stat=ierr)
!   call ball%free()
!
! Arrays are assumed-shape and contiguous: x(d, n) is passed as the C view x[n,d] (rows =
! points) with row stride d, without a copy (a non-contiguous actual argument is copied in and
! out by the compiler). Per-point scalars (`[n,1]` in the C shapes) are rank-1 arrays of size n.
! Every procedure takes an optional `stat`: when present it receives the status (TSR_OK or a
! TSR_ERR_* code, message from tsr_error_message()); when absent, a failure prints the message
! on error_unit and stops with ERROR STOP. The operations (type-bound generics for real32 and
! real64 kinds) are generated from the C header into tessera_ops_bind.inc/tessera_ops_impl.inc.
! Tensor completion, Tucker and components (tsr_complete, tsr_complete_coo, tsr_tucker,
! tsr_components) are hand-written in tessera_tensor.inc; matrix completability (tsr_closure,
! tsr_complete_matrix, tsr_matrix_variance, tsr_phase_transition) in
! tessera_completability_decl.inc and tessera_completability.inc; dense networks, f-divergence
! objectives and QSGD (tsr_network, tsr_fdiv_objective, tsr_qsgd_encode/decode/quantize/info) in
! tessera_nn_decl.inc and tessera_nn.inc; see there.
module tessera
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: error_unit
  use tessera_c
  implicit none
  private
  public :: tsr_ball, tsr_error_message, tsr_status_name, tsr_version_str
  public :: tsr_set_threads, tsr_get_threads
  public :: tsr_complete, tsr_complete_n, tsr_complete_coo, tsr_tucker, tsr_components, tsr_matrix
  public :: tsr_tensor_info, tsr_progress
  include 'tessera_public.inc'
  include 'tessera_completability_decl.inc'
  include 'tessera_nn_decl.inc'

  ! A matrix of the Tucker factors and component loadings (one per mode).
  type :: tsr_matrix
    real(c_double), allocatable :: a(:,:)
  end type

  ! Tensor completion (tessera_tensor.inc): rank 1-4 assumed-shape; any order is
  ! tsr_complete_n(dims, values, mask, estimate) with assumed-size arrays.
  interface tsr_complete
    module procedure complete_r1, complete_r2, complete_r3, complete_r4
  end interface

  ! A Poincare ball of curvature -c: owns a tsr_poincare handle. Free it with ball%free();
  ! copies share the handle (do not free twice).
  type :: tsr_ball
    type(c_ptr) :: ptr = c_null_ptr
  contains
    procedure :: init => ball_init
    procedure :: free => ball_free
    procedure :: curvature => ball_curvature
    procedure :: is_live => ball_is_live
    include 'tessera_ops_bind.inc'
  end type

  interface
    function c_strlen(s) result(n) bind(C, name='strlen')
      import
      type(c_ptr), value :: s
      integer(c_size_t) :: n
    end function
  end interface

contains

  ! A NUL-terminated C string as a Fortran string.
  function c_string(p) result(s)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: s
    character(kind=c_char), pointer :: chars(:)
    integer :: i, n
    if (.not. c_associated(p)) then
      s = ''
      return
    end if
    n = int(c_strlen(p))
    call c_f_pointer(p, chars, [n])
    allocate(character(len=n) :: s)
    do i = 1, n
      s(i:i) = chars(i)
    end do
  end function

  ! Message of the last failed Tessera call on this thread ('' after a success).
  function tsr_error_message() result(s)
    character(len=:), allocatable :: s
    s = c_string(tsr_last_error_message())
  end function

  ! Name of a status code, e.g. 'TSR_ERR_DOMAIN'.
  function tsr_status_name(status) result(s)
    integer, intent(in) :: status
    character(len=:), allocatable :: s
    s = c_string(tsr_status_str(int(status, c_int32_t)))
  end function

  ! Run-time library version, 'MAJOR.MINOR.PATCH'.
  function tsr_version_str() result(s)
    character(len=:), allocatable :: s
    s = c_string(tsr_version_string())
  end function

  ! Default thread count of later calls (0: automatic).
  subroutine tsr_set_threads(num_threads, stat)
    integer, intent(in) :: num_threads
    integer, intent(out), optional :: stat
    call finish(int(tsr_set_num_threads(int(num_threads, c_int32_t))), 'tsr_set_threads', stat)
  end subroutine

  integer function tsr_get_threads()
    tsr_get_threads = int(tsr_get_num_threads())
  end function

  ! Reports `st` through `stat`, or stops with the library's message when `stat` is absent.
  subroutine finish(st, what, stat)
    integer, intent(in) :: st
    character(len=*), intent(in) :: what
    integer, intent(out), optional :: stat
    character(len=:), allocatable :: msg
    if (present(stat)) then
      stat = st
      return
    end if
    if (st == TSR_OK) return
    msg = tsr_error_message()  ! first: valid until the next tessera call
    write(error_unit, '(5a)') 'tessera: ', what, ': ', tsr_status_name(st), ': ' // msg
    error stop 'tessera: unhandled error (pass stat= to handle it)'
  end subroutine

  ! Creates the ball of curvature -c (c > 0); num_threads 0 (default) follows tsr_set_threads.
  subroutine ball_init(self, c, num_threads, stat)
    class(tsr_ball), intent(inout) :: self
    real(c_double), intent(in) :: c
    integer, intent(in), optional :: num_threads
    integer, intent(out), optional :: stat
    type(tsr_poincare_options), target :: opts
    type(c_ptr), target :: handle
    integer :: st
    call ball_free(self)
    st = int(tsr_poincare_options_default(c_loc(opts)))
    if (st == TSR_OK) then
      if (present(num_threads)) opts%num_threads = int(num_threads, c_int32_t)
      handle = c_null_ptr
      st = int(tsr_poincare_new(c, c_loc(opts), c_loc(handle)))
      if (st == TSR_OK) self%ptr = handle
    end if
    call finish(st, 'init', stat)
  end subroutine

  ! Frees the handle (no-op when not initialised).
  subroutine ball_free(self)
    class(tsr_ball), intent(inout) :: self
    call tsr_poincare_free(self%ptr)
    self%ptr = c_null_ptr
  end subroutine

  real(c_double) function ball_curvature(self)
    class(tsr_ball), intent(in) :: self
    ball_curvature = tsr_poincare_c(self%ptr)
  end function

  logical function ball_is_live(self)
    class(tsr_ball), intent(in) :: self
    ball_is_live = c_associated(self%ptr)
  end function

  include 'tessera_ops_impl.inc'

  include 'tessera_tensor.inc'

  include 'tessera_completability.inc'

  include 'tessera_nn.inc'

end module tessera
